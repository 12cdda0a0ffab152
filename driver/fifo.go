package driver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// devNull is what the agent sends as log paths when the task's logs are
// disabled.
const devNull = "/dev/null"

// fifoOpenTimeout bounds how long a start waits for logmon to open the read
// side of a log fifo. logmon opens it before StartTask in practice; the wait
// only covers a slow reader, never a missing one.
const fifoOpenTimeout = 10 * time.Second

// openLogFIFO opens the agent's log fifo at path for writing. The path comes
// from the agent, but the alloc directory is writable by tasks of the same
// allocation, so it is opened relative to allocDir with no symlink resolution
// at all (a task could otherwise plant a symlink and make the driver, running
// as root, write into any file). The target must be a fifo.
func openLogFIFO(allocDir, path string) (*os.File, error) {
	if path == devNull {
		return os.OpenFile(devNull, os.O_WRONLY, 0)
	}
	rel, err := beneath(allocDir, path)
	if err != nil {
		return nil, err
	}
	dir, err := unix.Open(allocDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("log fifo: open alloc dir %s: %w", allocDir, err)
	}
	defer unix.Close(dir)
	fd, err := openFIFOWriter(dir, rel)
	if err != nil {
		return nil, fmt.Errorf("log fifo %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	if err := requireFIFO(f); err != nil {
		f.Close()
		return nil, err
	}
	// Writers block like any pipe writer once the fifo is confirmed; the
	// task must see an ordinary blocking stdout.
	if err := unix.SetNonblock(fd, false); err != nil {
		f.Close()
		return nil, fmt.Errorf("log fifo %s: clear O_NONBLOCK: %w", path, err)
	}
	return f, nil
}

// beneath returns path relative to dir, or an error when path is not
// strictly inside dir.
func beneath(dir, path string) (string, error) {
	if !filepath.IsAbs(path) || !filepath.IsAbs(dir) {
		return "", fmt.Errorf("log fifo %q: path and alloc dir %q must be absolute", path, dir)
	}
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(path))
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("log fifo %q is not inside the alloc dir %q", path, dir)
	}
	return rel, nil
}

// openFIFOWriter opens rel beneath dir without following any symlink and
// without blocking. A fifo without a reader yet fails with ENXIO under
// O_NONBLOCK, so it retries until fifoOpenTimeout.
func openFIFOWriter(dir int, rel string) (int, error) {
	how := unix.OpenHow{
		Flags:   unix.O_WRONLY | unix.O_NONBLOCK | unix.O_NOFOLLOW | unix.O_NOCTTY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	deadline := time.Now().Add(fifoOpenTimeout)
	for {
		fd, err := unix.Openat2(dir, rel, &how)
		if err == nil {
			return fd, nil
		}
		if !errors.Is(err, unix.ENXIO) && !errors.Is(err, unix.EINTR) {
			return -1, err
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("no reader opened the fifo within %v (is logmon running?)", fifoOpenTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// requireFIFO rejects anything that is not a named pipe.
func requireFIFO(f *os.File) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fmt.Errorf("log fifo %s: %w", f.Name(), err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return fmt.Errorf("log fifo %s is not a fifo (mode %#o); refusing to write task output to it", f.Name(), st.Mode&unix.S_IFMT)
	}
	return nil
}
