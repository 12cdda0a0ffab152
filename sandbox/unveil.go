package sandbox

import (
	"fmt"
	"strings"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// Perm is a set of unveil permission letters.
type Perm uint8

// The unveil letters, in the canonical "rwxc" order.
const (
	PermRead   Perm = 1 << iota // r: read files, list directories, move files in or out
	PermWrite                   // w: write and truncate files
	PermExec                    // x: execute files (Landlock also needs r to exec)
	PermCreate                  // c: create and remove files, directories and special files
)

const permLetters = "rwxc"

// ParsePerm parses a subset of the letters "rwxc", in any order; repeats are
// allowed. The empty string is the empty set (the path stays hidden).
func ParsePerm(s string) (Perm, error) {
	var p Perm
	for i := 0; i < len(s); i++ {
		j := strings.IndexByte(permLetters, s[i])
		if j < 0 {
			return 0, fmt.Errorf("bad unveil permission %q in %q: use letters from %q", s[i], s, permLetters)
		}
		p |= 1 << j
	}
	return p, nil
}

func (p Perm) String() string {
	var b []byte
	for i := 0; i < len(permLetters); i++ {
		if p&(1<<i) != 0 {
			b = append(b, permLetters[i])
		}
	}
	return string(b)
}

// Unveil is one rule: Path becomes visible with Perm.
type Unveil struct {
	Perm Perm
	Path string
}

// ParseUnveil parses the -v argument "[PERM:]PATH". The text is split at the
// first ':', so a path may itself contain colons only when PERM is given; the
// permission defaults to "r".
func ParseUnveil(s string) (Unveil, error) {
	perm, path := "r", s
	if i := strings.IndexByte(s, ':'); i >= 0 {
		perm, path = s[:i], s[i+1:]
	}
	p, err := ParsePerm(perm)
	if err != nil {
		return Unveil{}, err
	}
	if path == "" {
		return Unveil{}, fmt.Errorf("empty path in unveil %q: want [PERM:]PATH", s)
	}
	return Unveil{Perm: p, Path: path}, nil
}

func (u Unveil) String() string { return u.Perm.String() + ":" + u.Path }

// Landlock rights of each letter. These differ from the reference on purpose:
// c also grants removal (and the handled set includes it), so unlink and rmdir
// outside the unveiled tree fail as on OpenBSD; w grants truncation on file
// rules too, so O_TRUNC works on a file unveiled by itself.
const (
	accessRead   = landlock.AccessFSSet(ll.AccessFSReadFile | ll.AccessFSReadDir | ll.AccessFSRefer)
	accessWrite  = landlock.AccessFSSet(ll.AccessFSWriteFile | ll.AccessFSTruncate)
	accessExec   = landlock.AccessFSSet(ll.AccessFSExecute)
	accessCreate = landlock.AccessFSSet(ll.AccessFSMakeChar | ll.AccessFSMakeDir | ll.AccessFSMakeReg |
		ll.AccessFSMakeSock | ll.AccessFSMakeFifo | ll.AccessFSMakeBlock | ll.AccessFSMakeSym |
		ll.AccessFSRemoveFile | ll.AccessFSRemoveDir)

	// accessHandled is what the ruleset restricts: everything a letter can
	// grant. IOCTL_DEV and RESOLVE_UNIX stay unhandled, as in the reference.
	accessHandled = accessRead | accessWrite | accessExec | accessCreate

	// accessFile are the rights that apply to a single (non-directory) file.
	accessFile = landlock.AccessFSSet(ll.AccessFSReadFile | ll.AccessFSWriteFile | ll.AccessFSTruncate | ll.AccessFSExecute)
)

// access is the Landlock rights of the letters in p.
func (p Perm) access() landlock.AccessFSSet {
	var a landlock.AccessFSSet
	for _, m := range []struct {
		perm Perm
		set  landlock.AccessFSSet
	}{{PermRead, accessRead}, {PermWrite, accessWrite}, {PermExec, accessExec}, {PermCreate, accessCreate}} {
		if p&m.perm != 0 {
			a |= m.set
		}
	}
	return a
}
