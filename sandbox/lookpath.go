package sandbox

import (
	"errors"
	"strings"

	"golang.org/x/sys/unix"
)

// defaultPath is searched when the environment has no PATH, as execvp does.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// program is the opened target: the fd is what gets executed, so the file
// that was checked is the file that runs; the name is only for messages.
type program struct {
	fd   int
	path string
}

// openProgram finds name like execvp (names with a slash are used as they
// are; others are searched in the PATH of env) and opens it O_PATH, so the
// same inode is inspected, unveiled and executed.
func openProgram(name string, env []string) (program, error) {
	if name == "" {
		return program{}, fail(ExitNotFound, "command not found: empty name", unix.ENOENT)
	}
	if strings.IndexByte(name, '/') >= 0 {
		prog, err := openExecutable(name)
		if err != nil {
			return program{}, fail(ExitNotFound, "command not found: "+name, err)
		}
		return prog, nil
	}
	search := defaultPath
	if p, ok := envValue(env, "PATH"); ok {
		search = p
	}
	// Report a more telling error than ENOENT (EACCES) if one was met, as
	// execvp does.
	cause := error(unix.ENOENT)
	for _, dir := range strings.Split(search, ":") {
		if dir == "" {
			dir = "." // an empty PATH entry is the working directory
		}
		prog, err := openExecutable(dir + "/" + name)
		if err == nil {
			return prog, nil
		}
		if err != unix.ENOENT && err != unix.ENOTDIR && cause == unix.ENOENT {
			cause = err
		}
	}
	return program{}, fail(ExitNotFound, "command not found: "+name, cause)
}

// openExecutable opens path and checks it is an executable regular file;
// the error is a bare errno.
//
// The file is first opened O_PATH, which has no side effects on devices or
// FIFOs and works on execute-only files, and then, once it is known to be a
// regular file, reopened for reading by the same path (kept only if it is
// the same inode), so that inspectTarget can read it without reopening it
// through /proc, which a chroot may lack. An execute-only file keeps the
// O_PATH fd.
func openExecutable(path string) (program, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return program{}, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return program{}, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&0o111 == 0 {
		unix.Close(fd)
		return program{}, unix.EACCES
	}
	if rfd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err == nil {
		var rst unix.Stat_t
		if unix.Fstat(rfd, &rst) == nil && rst.Dev == st.Dev && rst.Ino == st.Ino {
			unix.Close(fd)
			fd = rfd
		} else {
			unix.Close(rfd)
		}
	}
	return program{fd: fd, path: path}, nil
}

// envValue returns the value of the last key=value entry for key in env.
func envValue(env []string, key string) (string, bool) {
	v, found := "", false
	for _, kv := range env {
		if hasKey(kv, key) {
			v, found = kv[len(key)+1:], true
		}
	}
	return v, found
}

// execName is how installAndExec names the program to execveat: the open
// fd (AT_EMPTY_PATH) for binaries, so the inode that was inspected and
// unveiled is the one that runs; the path for #! scripts.
//
// A script cannot run from its fd: for execveat(fd, "", AT_EMPTY_PATH) the
// kernel hands the interpreter the name /dev/fd/<fd>, which is closed by
// then (close-on-exec), and even with the fd kept open the script would see
// $0 = /dev/fd/<fd>, which breaks wrappers that dispatch on their own name
// (pyenv shims, busybox-style links). Executing a script by path is as
// tight as the fd where it matters: the kernel resolves the interpreter by
// path at exec time in any case, execveat still needs the cookie, and
// Landlock's execute right sits on the inode that was inspected, so a file
// swapped in at the path after the lookup fails with EACCES unless its
// directory is unveiled with x. sameFile narrows that window to the few
// system calls before the exec.
func (p program) execName(script bool) (dirfd int, path string, flags int, err error) {
	if !script {
		return p.fd, "", unix.AT_EMPTY_PATH, nil
	}
	if err := p.sameFile(); err != nil {
		return 0, "", 0, fail(ExitExecFailed, p.path, err)
	}
	return unix.AT_FDCWD, p.path, 0, nil
}

// sameFile checks that p.path still names the opened file.
func (p program) sameFile() error {
	var byFD, byPath unix.Stat_t
	if err := unix.Fstat(p.fd, &byFD); err != nil {
		return err
	}
	if err := unix.Stat(p.path, &byPath); err != nil {
		return err
	}
	if byFD.Dev != byPath.Dev || byFD.Ino != byPath.Ino {
		return errors.New("the script was replaced after it was inspected")
	}
	return nil
}
