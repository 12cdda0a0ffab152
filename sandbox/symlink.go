package sandbox

import (
	"errors"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// maxSymlinkHops bounds the manual symlink walk, like the reference's 64.
const maxSymlinkHops = 64

// followLinks resolves the symlinks at the end of path the way the reference
// unveil does: by hand, so that a chain ending in something that is not a
// path (/dev/stdin -> /proc/self/fd/0 -> pipe:[…]) is recognised instead of
// failing in the kernel. Landlock rules attach to inodes, so the rule must be
// added for the final target; ok is false when there is no such target
// (missing path, or a chain that ends in an anonymous object Landlock does not
// gate anyway).
//
// /proc/self and /proc/thread-self are never replaced by the shim's pid: the
// text stays symbolic so that messages and the Nomad driver's rule lists show
// what the user wrote.
func followLinks(path string) (final string, isDir, ok bool, err error) {
	cur := path
	for hop := 0; hop <= maxSymlinkHops; hop++ {
		var st unix.Stat_t
		switch err := unix.Lstat(cur, &st); {
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR):
			return "", false, false, nil
		case err != nil:
			return "", false, false, err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK || isProcSelf(cur) {
			return cur, isDirectory(cur, &st), true, nil
		}
		target, err := readlink(cur)
		if err != nil {
			return "", false, false, err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(cur), target)
		}
		if !exists(target) {
			// The reference falls back to the last link that resolved and
			// pins the link inode itself, which grants nothing. Skipping it
			// has the same effect without a rule on a magic proc link.
			return "", false, false, nil
		}
		cur = target
	}
	return "", false, false, unix.ELOOP
}

// isDirectory reports whether the file st describes is a directory; for the
// proc links kept symbolic it looks through the link.
func isDirectory(path string, st *unix.Stat_t) bool {
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		var target unix.Stat_t
		return unix.Stat(path, &target) == nil && target.Mode&unix.S_IFMT == unix.S_IFDIR
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR
}

// isProcSelf reports whether p names the per-process proc link itself.
func isProcSelf(p string) bool {
	p = strings.TrimRight(p, "/")
	return p == "/proc/self" || p == "/proc/thread-self"
}

func readlink(p string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlink(p, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func exists(p string) bool {
	var st unix.Stat_t
	return unix.Lstat(p, &st) == nil
}
