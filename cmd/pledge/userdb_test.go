package main

import (
	"slices"
	"strings"
	"testing"
)

const testPasswd = `root:x:0:0:root:/root:/bin/bash
# comment:x:1:1
short:x:5
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
bad:x:12ab:3::/:/bin/sh
dup:x:7:7::/:/bin/sh
dup:x:8:8::/:/bin/sh
`

const testGroup = `root:x:0:
nogroup:x:65534:
audio:x:29:alice,nobody
video:x:44:nobody
nogroup2:x:65534:nobody
broken:x:zz:nobody
staff:x:50:nobody2
`

func TestLookupUser(t *testing.T) {
	for _, tc := range []struct {
		name     string
		uid, gid uint32
		err      string
	}{
		{name: "root", uid: 0, gid: 0},
		{name: "nobody", uid: 65534, gid: 65534},
		{name: "dup", uid: 7, gid: 7},
		{name: "short", err: "unknown user short"},
		{name: "# comment", err: "unknown user"},
		{name: "bad", err: `uid: id "12ab" is not a number`},
		{name: "nosuch", err: "unknown user nosuch (not in /etc/passwd)"},
	} {
		uid, gid, err := lookupUserIn([]byte(testPasswd), tc.name)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("lookupUserIn(%q) = %d, %d, %v; want error %q", tc.name, uid, gid, err, tc.err)
			}
			continue
		}
		if err != nil || uid != tc.uid || gid != tc.gid {
			t.Errorf("lookupUserIn(%q) = %d, %d, %v; want %d, %d", tc.name, uid, gid, err, tc.uid, tc.gid)
		}
	}
}

func TestLookupGroup(t *testing.T) {
	if gid, err := lookupGroupIn([]byte(testGroup), "video"); err != nil || gid != 44 {
		t.Errorf("lookupGroupIn(video) = %d, %v; want 44", gid, err)
	}
	if _, err := lookupGroupIn([]byte(testGroup), "broken"); err == nil || !strings.Contains(err.Error(), `"zz"`) {
		t.Errorf("lookupGroupIn(broken) = %v; want an error naming the bad gid", err)
	}
	if _, err := lookupGroupIn([]byte(testGroup), "wheel"); err == nil || !strings.Contains(err.Error(), "unknown group wheel") {
		t.Errorf("lookupGroupIn(wheel) = %v; want unknown group", err)
	}
}

// TestGroupsOf: primary group first, then every group listing the user
// exactly (not a prefix), once each; unparsable gids are skipped.
func TestGroupsOf(t *testing.T) {
	if got, want := groupsOfIn([]byte(testGroup), "nobody", 65534), []uint32{65534, 29, 44}; !slices.Equal(got, want) {
		t.Errorf("groupsOfIn(nobody) = %v, want %v", got, want)
	}
	if got, want := groupsOfIn(nil, "alice", 100), []uint32{100}; !slices.Equal(got, want) {
		t.Errorf("groupsOfIn(empty, alice) = %v, want %v", got, want)
	}
}

func FuzzUserDB(f *testing.F) {
	f.Add([]byte(testPasswd), "nobody")
	f.Add([]byte(testGroup), "audio")
	f.Add([]byte("a:b:c:d\n::1:2:\r\n"), "")
	f.Fuzz(func(t *testing.T, db []byte, name string) {
		if uid, gid, err := lookupUserIn(db, name); err == nil {
			e, _ := findEntry(db, name, 4)
			if string(e[0]) != name || e[2] == nil || e[3] == nil {
				t.Fatalf("lookupUserIn(%q) = %d, %d from entry %q", name, uid, gid, e)
			}
		}
		if _, err := lookupGroupIn(db, name); err != nil && !strings.Contains(err.Error(), name) {
			t.Fatalf("lookupGroupIn(%q) error %q does not name the group", name, err)
		}
		if gs := groupsOfIn(db, name, 1); len(gs) == 0 || gs[0] != 1 {
			t.Fatalf("groupsOfIn(%q) = %v, want the primary group first", name, gs)
		}
	})
}
