package sandbox

import (
	"errors"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// maxSymlinkHops bounds the manual symlink walk, like the reference's 64.
const maxSymlinkHops = 64

// resolvedPath is an unveil path with the symlinks at its end resolved,
// held open O_PATH: the Landlock rule is added through fd, so it names the
// inode that was checked, and no path is looked up twice.
type resolvedPath struct {
	path  string // the final path, for messages
	fd    int
	isDir bool
}

// followLinks resolves the symlinks at the end of path the way the reference
// unveil does: by hand, so that a chain ending in something that is not a
// path (/dev/stdin -> /proc/self/fd/0 -> pipe:[…]) is recognised instead of
// failing in the kernel. Landlock rules attach to inodes, so the rule must be
// added for the final target; ok is false when there is no such target
// (missing path, or a chain that ends in an anonymous object Landlock does not
// gate anyway). Each hop is one open(O_PATH|O_NOFOLLOW) plus fstat, and
// the final fd is what the rule uses; the caller closes it.
//
// /proc/self and /proc/thread-self are never replaced by the shim's pid in
// the text: path stays symbolic so that messages show what the user wrote.
func followLinks(path string) (r resolvedPath, ok bool, err error) {
	cur := path
	for hop := 0; hop <= maxSymlinkHops; hop++ {
		fd, st, err := openNoFollow(cur)
		switch {
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR):
			return r, false, nil
		case err != nil:
			return r, false, err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			return resolvedPath{path: cur, fd: fd, isDir: st.Mode&unix.S_IFMT == unix.S_IFDIR}, true, nil
		}
		if isProcSelf(cur) {
			unix.Close(fd)
			return openThrough(cur)
		}
		target, err := readlinkFD(fd)
		unix.Close(fd)
		if err != nil {
			return r, false, err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(cur), target)
		}
		// A target that does not exist ends the walk with ok false: the
		// reference falls back to the last link that resolved and pins the
		// link inode itself, which grants nothing; skipping it has the same
		// effect without a rule on a magic proc link.
		cur = target
	}
	return r, false, unix.ELOOP
}

// openNoFollow opens path O_PATH without following a final symlink.
func openNoFollow(path string) (int, unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, st, err
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, st, err
	}
	return fd, st, nil
}

// openThrough opens a proc link kept symbolic, following it.
func openThrough(path string) (resolvedPath, bool, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return resolvedPath{}, false, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return resolvedPath{}, false, err
	}
	return resolvedPath{path: path, fd: fd, isDir: st.Mode&unix.S_IFMT == unix.S_IFDIR}, true, nil
}

// isProcSelf reports whether p names the per-process proc link itself.
func isProcSelf(p string) bool {
	p = strings.TrimRight(p, "/")
	return p == "/proc/self" || p == "/proc/thread-self"
}

// readlinkFD reads the symlink an O_PATH|O_NOFOLLOW fd refers to.
func readlinkFD(fd int) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}
