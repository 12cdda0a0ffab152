package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// The user and group databases are read directly from /etc/passwd and
// /etc/group, as the reference (and Go's os/user without cgo) does, rather
// than through os/user: with cgo enabled, os/user links the C library, and a
// dynamically linked pledge pays the loader's start-up cost on every run.

// Database files, variables so that tests can point them elsewhere.
var (
	passwdFile = "/etc/passwd"
	groupFile  = "/etc/group"
)

// dbEntry is one line of /etc/passwd or /etc/group split on ':'.
type dbEntry [][]byte

// findEntry returns the first line of db whose first field is name and
// that has at least fields fields; comments, blank and short lines are
// skipped, as getpwnam does.
func findEntry(db []byte, name string, fields int) (dbEntry, bool) {
	for line := range bytes.Lines(db) {
		e := parseEntry(line)
		if len(e) >= fields && string(e[0]) == name {
			return e, true
		}
	}
	return nil, false
}

// parseEntry splits a database line into its fields; nil for a comment or
// blank line.
func parseEntry(line []byte) dbEntry {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) == 0 || line[0] == '#' {
		return nil
	}
	return bytes.Split(line, []byte{':'})
}

// parseID parses a uid or gid field.
func parseID(field []byte) (uint32, error) {
	n, err := strconv.ParseUint(string(field), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("id %q is not a number", field)
	}
	return uint32(n), nil
}

// lookupUserIn returns name's uid and primary gid from the passwd data
// (name:password:uid:gid:gecos:home:shell).
func lookupUserIn(passwd []byte, name string) (uid, gid uint32, err error) {
	e, ok := findEntry(passwd, name, 4)
	if !ok {
		return 0, 0, fmt.Errorf("unknown user %s (not in %s)", name, passwdFile)
	}
	if uid, err = parseID(e[2]); err != nil {
		return 0, 0, fmt.Errorf("user %s: uid: %w", name, err)
	}
	if gid, err = parseID(e[3]); err != nil {
		return 0, 0, fmt.Errorf("user %s: gid: %w", name, err)
	}
	return uid, gid, nil
}

// lookupGroupIn returns the gid of group name from the group data
// (name:password:gid:members).
func lookupGroupIn(group []byte, name string) (uint32, error) {
	e, ok := findEntry(group, name, 3)
	if !ok {
		return 0, fmt.Errorf("unknown group %s (not in %s)", name, groupFile)
	}
	gid, err := parseID(e[2])
	if err != nil {
		return 0, fmt.Errorf("group %s: %w", name, err)
	}
	return gid, nil
}

// groupsOfIn lists the groups of user, as getgrouplist does: the primary
// gid first, then every group whose member list names the user, once each.
func groupsOfIn(group []byte, user string, primary uint32) []uint32 {
	out := []uint32{primary}
	for line := range bytes.Lines(group) {
		e := parseEntry(line)
		if len(e) < 4 || !isMember(e[3], user) {
			continue
		}
		gid, err := parseID(e[2])
		if err == nil && !containsID(out, gid) {
			out = append(out, gid)
		}
	}
	return out
}

// isMember says whether the comma-separated member list names user.
func isMember(members []byte, user string) bool {
	for m := range bytes.SplitSeq(members, []byte{','}) {
		if string(m) == user {
			return true
		}
	}
	return false
}

func containsID(ids []uint32, id uint32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// readDB reads a database file; a missing file is an empty database.
func readDB(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
