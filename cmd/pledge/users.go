package main

import (
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
	passwd, err := readDB(passwdFile)
	if err != nil {
		return &exitError{sandbox.ExitSetuid, "error: -u " + arg + ": " + err.Error()}
	}
	uid, gid, err := lookupUserIn(passwd, arg)
	if err != nil {
		return &exitError{sandbox.ExitSetuid, "error: -u " + arg + ": " + err.Error()}
	}
	acct := &account{gid: gid}
	if group, err := readDB(groupFile); err == nil {
		acct.groups = groupsOfIn(group, arg, gid)
	} else {
		acct.groups = []uint32{gid}
	}
	c.policy.UID, c.user = uid, acct
	return nil
}

// lookupGroup handles -g: a number, or a group name.
func lookupGroup(arg string) (uint32, error) {
	if n, err := strconv.ParseUint(arg, 10, 32); err == nil {
		return uint32(n), nil
	}
	group, err := readDB(groupFile)
	if err == nil {
		var gid uint32
		if gid, err = lookupGroupIn(group, arg); err == nil {
			return gid, nil
		}
	}
	return 0, &exitError{sandbox.ExitSetgid, "error: -g " + arg + ": " + err.Error()}
}

// finishIDs applies the groups of a -u NAME account when -g was not given.
func (c *config) finishIDs() {
	if c.user == nil || c.gidGiven {
		return
	}
	c.policy.GID = c.user.gid
	c.policy.Groups = c.user.groups
}
