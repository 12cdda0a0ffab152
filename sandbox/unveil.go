package sandbox

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
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
	accessRead   accessFS = unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_READ_DIR | unix.LANDLOCK_ACCESS_FS_REFER
	accessWrite  accessFS = unix.LANDLOCK_ACCESS_FS_WRITE_FILE | unix.LANDLOCK_ACCESS_FS_TRUNCATE
	accessExec   accessFS = unix.LANDLOCK_ACCESS_FS_EXECUTE
	accessCreate accessFS = unix.LANDLOCK_ACCESS_FS_MAKE_CHAR | unix.LANDLOCK_ACCESS_FS_MAKE_DIR | unix.LANDLOCK_ACCESS_FS_MAKE_REG |
		unix.LANDLOCK_ACCESS_FS_MAKE_SOCK | unix.LANDLOCK_ACCESS_FS_MAKE_FIFO | unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK |
		unix.LANDLOCK_ACCESS_FS_MAKE_SYM | unix.LANDLOCK_ACCESS_FS_REMOVE_FILE | unix.LANDLOCK_ACCESS_FS_REMOVE_DIR

	// accessHandled is what the ruleset restricts: everything a letter can
	// grant. IOCTL_DEV and RESOLVE_UNIX stay unhandled, as in the reference.
	accessHandled = accessRead | accessWrite | accessExec | accessCreate

	// accessFile are the rights that apply to a single (non-directory) file.
	accessFile accessFS = unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_WRITE_FILE |
		unix.LANDLOCK_ACCESS_FS_TRUNCATE | unix.LANDLOCK_ACCESS_FS_EXECUTE
)

// accessFS is a set of Landlock filesystem rights (LANDLOCK_ACCESS_FS_*).
type accessFS uint64

// accessNames name the rights in bit order, for error messages.
var accessNames = [...]string{
	"execute", "write_file", "read_file", "read_dir", "remove_dir", "remove_file",
	"make_char", "make_dir", "make_reg", "make_sock", "make_fifo", "make_block",
	"make_sym", "refer", "truncate", "ioctl_dev", "resolve_unix",
}

func (a accessFS) String() string {
	var names []string
	for i, n := range accessNames {
		if a&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	if rest := a &^ (1<<len(accessNames) - 1); rest != 0 {
		names = append(names, fmt.Sprintf("%#x", uint64(rest)))
	}
	return "{" + strings.Join(names, ",") + "}"
}

// access is the Landlock rights of the letters in p.
func (p Perm) access() accessFS {
	var a accessFS
	for _, m := range []struct {
		perm Perm
		set  accessFS
	}{{PermRead, accessRead}, {PermWrite, accessWrite}, {PermExec, accessExec}, {PermCreate, accessCreate}} {
		if p&m.perm != 0 {
			a |= m.set
		}
	}
	return a
}
