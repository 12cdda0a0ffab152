package nsexec

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExitStatus is how a task ended.
type ExitStatus struct {
	// Code is the exit code, or 128+Signal when a signal killed the task
	// (the convention of shells and of Nomad's own executor).
	Code int
	// Signal is the signal that killed the task; 0 when it exited.
	Signal syscall.Signal
}

func (s ExitStatus) String() string {
	if s.Signal != 0 {
		return fmt.Sprintf("killed by signal %d (%v)", int(s.Signal), s.Signal)
	}
	return fmt.Sprintf("exit code %d", s.Code)
}

// exitStatusOf converts a wait status of a process that has ended.
func exitStatusOf(ws unix.WaitStatus) ExitStatus {
	if ws.Signaled() {
		return ExitStatus{Code: 128 + int(ws.Signal()), Signal: syscall.Signal(ws.Signal())}
	}
	return ExitStatus{Code: ws.ExitStatus()}
}

// ErrStatusMissing: init ended without recording the task's exit status,
// which happens when init itself was SIGKILLed (e.g. by [Process.Kill]) or
// crashed. With a private pid namespace the task died with init.
var ErrStatusMissing = errors.New("init ended without recording the task's exit status")

// The status file holds one line, "exited <code>" or "signaled <signo>".
const (
	statusExited   = "exited"
	statusSignaled = "signaled"
)

func formatStatus(s ExitStatus) []byte {
	if s.Signal != 0 {
		return fmt.Appendf(nil, "%s %d\n", statusSignaled, int(s.Signal))
	}
	return fmt.Appendf(nil, "%s %d\n", statusExited, s.Code)
}

// parseStatus reads what formatStatus wrote and nothing else.
func parseStatus(b []byte) (ExitStatus, error) {
	line, ok := strings.CutSuffix(string(b), "\n")
	kind, num, ok2 := strings.Cut(line, " ")
	if !ok || !ok2 {
		return ExitStatus{}, fmt.Errorf("status %q is not \"exited <code>\\n\" or \"signaled <signo>\\n\"", b)
	}
	n, err := strconv.ParseUint(num, 10, 8)
	if err != nil || strconv.FormatUint(n, 10) != num {
		return ExitStatus{}, fmt.Errorf("status %q: %q is not a decimal number 0-255", b, num)
	}
	switch kind {
	case statusExited:
		return ExitStatus{Code: int(n)}, nil
	case statusSignaled:
		if n == 0 || n > 64 {
			return ExitStatus{}, fmt.Errorf("status %q: signal %d is outside 1-64", b, n)
		}
		return ExitStatus{Code: 128 + int(n), Signal: syscall.Signal(n)}, nil
	}
	return ExitStatus{}, fmt.Errorf("status %q: %q is neither %q nor %q", b, kind, statusExited, statusSignaled)
}

// ReadStatus returns the exit status init recorded at path. It wraps
// [ErrStatusMissing] (and fs.ErrNotExist) when there is none, which after the
// task's init has ended means init was killed before the task ended.
func ReadStatus(path string) (ExitStatus, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ExitStatus{}, fmt.Errorf("nsexec: %w: %s does not exist (init was SIGKILLed or crashed): %w", ErrStatusMissing, path, err)
	}
	if err != nil {
		return ExitStatus{}, fmt.Errorf("nsexec: read exit status: %w", err)
	}
	s, err := parseStatus(b)
	if err != nil {
		return ExitStatus{}, fmt.Errorf("nsexec: %s: %w", path, err)
	}
	return s, nil
}

// writeStatus atomically records s as name in the directory dirfd: a reader
// sees either no file or the whole line, never a partial one.
func writeStatus(dirfd int, name string, s ExitStatus) error {
	tmp := "." + name + ".tmp"
	fd, err := unix.Openat(dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	f := os.NewFile(uintptr(fd), tmp)
	_, err = f.Write(formatStatus(s))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := unix.Renameat(dirfd, tmp, dirfd, name); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp, name, err)
	}
	return nil
}
