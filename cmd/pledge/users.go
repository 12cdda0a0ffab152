package main

import (
	"errors"
	"os/user"
	"strconv"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
)

// account is a user named on the command line.
type account struct {
	gid    uint32
	groups []uint32
}

// setUser handles -u: a number is used as it is (0 means "not given", as in
// the reference); a name is looked up in the user database, and its primary
// and supplementary groups apply unless -g is given.
func (c *config) setUser(arg string) error {
	if n, err := strconv.ParseUint(arg, 10, 32); err == nil {
		c.policy.UID = uint32(n)
		return nil
	}
	u, err := user.Lookup(arg)
	if err != nil {
		return &exitError{sandbox.ExitSetuid, "error: -u " + arg + ": " + err.Error()}
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return &exitError{sandbox.ExitSetuid, "error: -u " + arg + ": " + err.Error()}
	}
	acct := &account{gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.ParseUint(s, 10, 32); err == nil {
				acct.groups = append(acct.groups, uint32(g))
			}
		}
	}
	c.policy.UID, c.user = uint32(uid), acct
	return nil
}

// lookupGroup handles -g: a number, or a group name.
func lookupGroup(arg string) (uint32, error) {
	if n, err := strconv.ParseUint(arg, 10, 32); err == nil {
		return uint32(n), nil
	}
	g, err := user.LookupGroup(arg)
	if err != nil {
		return 0, &exitError{sandbox.ExitSetgid, "error: -g " + arg + ": " + err.Error()}
	}
	n, err := strconv.ParseUint(g.Gid, 10, 32)
	if err != nil {
		return 0, &exitError{sandbox.ExitSetgid, "error: -g " + arg + ": " + err.Error()}
	}
	return uint32(n), nil
}

// finishIDs applies the groups of a -u NAME account when -g was not given.
func (c *config) finishIDs() {
	if c.user == nil || c.gidGiven {
		return
	}
	c.policy.GID = c.user.gid
	c.policy.Groups = c.user.groups
}
