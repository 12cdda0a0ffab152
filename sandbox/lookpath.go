package sandbox

import (
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

// openExecutable opens path O_PATH and checks it is an executable regular
// file; the error is a bare errno.
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
