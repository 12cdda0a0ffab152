package nsexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrGone: the process to attach to has ended, or its pid now belongs to
// another process (start time differs). After a driver restart this means
// the task ended while the driver was away; its status is in [ReadStatus].
var ErrGone = errors.New("process is gone")

// Process is a task's init (from [Start] or [Attach]) or a command started
// in a task's namespaces by [Process.Enter]. It holds a pidfd, so signals
// never reach a process that merely reuses the pid.
type Process struct {
	// Pid in the driver's pid namespace.
	Pid int
	// StartTime is field 22 of /proc/<Pid>/stat; store it with Pid to
	// [Attach] again after a driver restart.
	StartTime uint64

	statusPath string // "" for Enter: the status is the child's own
	pidfd      *os.File

	// handOver is the control socket to an init started with
	// Config.Hold until HandOver (or Close) ends the hand-over phase.
	handOverMu sync.Mutex
	handOver   *os.File

	watch  sync.Once
	done   chan struct{}
	status ExitStatus
	err    error
}

func newProcess(pid, pidfd int, statusPath string) (*Process, error) {
	if err := unix.SetNonblock(pidfd, true); err != nil {
		unix.Close(pidfd)
		return nil, fmt.Errorf("nsexec: pidfd of %d: %w", pid, err)
	}
	p := &Process{
		Pid:        pid,
		statusPath: statusPath,
		pidfd:      os.NewFile(uintptr(pidfd), fmt.Sprintf("pidfd:%d", pid)),
		done:       make(chan struct{}),
	}
	return p, nil
}

// Attach finds a task's init again after a driver restart. It fails with
// [ErrGone] when pid no longer runs the process that started at tick start
// ([Process.StartTime] of the original Process).
func Attach(pid int, start uint64, statusPath string) (*Process, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err == unix.ESRCH {
		return nil, fmt.Errorf("nsexec: attach to init %d: %w", pid, ErrGone)
	}
	if err != nil {
		return nil, fmt.Errorf("nsexec: attach to init %d: pidfd_open: %w", pid, err)
	}
	// The pidfd is pinned first and the start time checked second, so the
	// check is about the very process the pidfd refers to.
	st, err := startTime(pid)
	if err == nil && st != start {
		err = fmt.Errorf("%w: pid %d started at tick %d, the task's init at tick %d (pid reused)", ErrGone, pid, st, start)
	} else if errors.Is(err, os.ErrNotExist) {
		err = ErrGone
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("nsexec: attach to init %d: %w", pid, err)
	}
	p, err := newProcess(pid, fd, statusPath)
	if err != nil {
		return nil, err
	}
	p.StartTime = st
	return p, nil
}

// Wait blocks until the process ends or ctx is done. For an init it returns
// the status init recorded; if init ended without recording one (killed by
// SIGKILL, e.g. by [Process.Kill]) the error wraps [ErrStatusMissing] and,
// when init was the caller's child, the status is init's own. For a command
// from [Process.Enter] it returns the command's status. Wait may be called
// any number of times, concurrently; all get the same result.
func (p *Process) Wait(ctx context.Context) (ExitStatus, error) {
	p.watch.Do(func() { go p.awaitStatus() })
	select {
	case <-p.done:
		return p.status, p.err
	case <-ctx.Done():
		return ExitStatus{}, ctx.Err()
	}
}

func (p *Process) awaitStatus() {
	defer close(p.done)
	own, reaped, err := p.awaitExit()
	switch {
	case err != nil:
		p.err = fmt.Errorf("nsexec: wait for %d: %w", p.Pid, err)
	case p.statusPath == "" && !reaped:
		p.err = fmt.Errorf("nsexec: wait for %d: it ended but was not this process's child, so its status is lost", p.Pid)
	case p.statusPath == "":
		p.status = own
	default:
		p.status, p.err = ReadStatus(p.statusPath)
		if errors.Is(p.err, ErrStatusMissing) && reaped {
			p.status = own
			p.err = fmt.Errorf("%w; init itself was %v", p.err, own)
		}
	}
}

// awaitExit waits, through the runtime's poller, for the pidfd to become
// readable (the process has ended), then reaps the process if it is a child.
func (p *Process) awaitExit() (ExitStatus, bool, error) {
	rc, err := p.pidfd.SyscallConn()
	if err != nil {
		return ExitStatus{}, false, err
	}
	var (
		status ExitStatus
		reaped bool
		werr   error
	)
	err = rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, perr := unix.Poll(fds, 0)
		if perr == unix.EINTR || (perr == nil && n == 0) {
			return false
		}
		if perr != nil {
			werr = perr
			return true
		}
		status, reaped, werr = reap(int(fd))
		return true
	})
	if err == nil {
		err = werr
	}
	return status, reaped, err
}

// cldExited is siginfo_t.si_code for a child that called exit.
const cldExited = 1

// childInfo is the SIGCHLD layout of siginfo_t on 64-bit Linux.
type childInfo struct {
	Signo, Errno, Code int32
	_                  int32
	Pid                int32
	UID                uint32
	Status             int32
	_                  [100]byte
}

// reap collects an ended child by pidfd. A process that is not the caller's
// child (reattached after a restart) yields reaped=false and no error.
func reap(pidfd int) (ExitStatus, bool, error) {
	var info childInfo
	errno := unix.EINTR
	for errno == unix.EINTR {
		_, _, errno = unix.Syscall6(unix.SYS_WAITID, unix.P_PIDFD, uintptr(pidfd), uintptr(unsafe.Pointer(&info)), unix.WEXITED|unix.WNOHANG, 0, 0)
	}
	switch errno {
	case 0:
	case unix.ECHILD:
		return ExitStatus{}, false, nil
	default:
		return ExitStatus{}, false, fmt.Errorf("waitid: %w", errno)
	}
	switch {
	case info.Pid == 0:
		return ExitStatus{}, false, errors.New("waitid: pidfd readable but no child has ended")
	case info.Code == cldExited:
		return ExitStatus{Code: int(info.Status)}, true, nil
	default:
		return ExitStatus{Code: 128 + int(info.Status), Signal: syscall.Signal(info.Status)}, true, nil
	}
}

// Signal sends sig to the process. For an init that means to the task: init
// forwards every catchable signal. It returns os.ErrProcessDone when the
// process has ended.
func (p *Process) Signal(sig syscall.Signal) error {
	rc, err := p.pidfd.SyscallConn()
	if err != nil {
		return fmt.Errorf("nsexec: signal %d: %w", p.Pid, err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return fmt.Errorf("nsexec: signal %d: %w", p.Pid, err)
	}
	if serr == unix.ESRCH {
		return os.ErrProcessDone
	}
	if serr != nil {
		return fmt.Errorf("nsexec: send %v to %d: %w", sig, p.Pid, serr)
	}
	return nil
}

// Kill sends SIGKILL to the process. Killing an init with a private pid
// namespace kills every process of the task; with HostPID the task survives
// init and the caller must kill the task's cgroup.
func (p *Process) Kill() error {
	return p.Signal(syscall.SIGKILL)
}

// Close releases the pidfd, and ends a pending hand-over phase with nothing
// held; a pending Wait then fails. The process itself is not affected.
func (p *Process) Close() error {
	p.closeHandOver()
	return p.pidfd.Close()
}
