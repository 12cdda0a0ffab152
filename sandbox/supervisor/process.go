package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Command is the hidden first argument that makes a binary run Main: the
// pledge command's main must call Main when os.Args[1] == Command, before
// doing anything else.
const Command = "__pledge-supervise"

// socketFD is where Spawn puts the supervisor's end of the socket pair.
const socketFD = 3

// The supervisor process's one argument after Command.
const (
	modeReport = "report"
	modeQuiet  = "quiet"
)

// Spawn starts a supervisor process (this binary, run as Command) and
// returns the shim's end of a socket pair (close-on-exec) on which to send
// the listener and HandoffPayload. With report set the supervisor writes
// each violation to the inherited stderr, otherwise it stays silent.
//
// The supervisor is started with CLONE_PARENT, as a sibling of the shim
// rather than its child, so that the task never sees an unexpected child
// (a program reaping every child would otherwise wait for the supervisor,
// which waits for the program). If the shim is the init of a pid namespace,
// where CLONE_PARENT is refused, it is started as a child instead. Its stdin
// and stdout are closed, so that it keeps no pipe of the task's open; it
// ignores job-control and terminal signals and exits when the task and its
// descendants are gone. Spawn must run while /proc/self/exe is reachable
// (before a chroot without /proc). It returns once the supervisor has been
// executed; the supervisor starts up while the shim goes on.
//
// syscall.StartProcess rather than os.StartProcess: the os package probes
// for pidfd support with an extra fork on first use, which the shim, about
// to exec, has no use for.
func Spawn(report bool) (*os.File, error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("supervisor: socketpair: %w", err)
	}
	defer unix.Close(pair[1])
	mode := modeQuiet
	if report {
		mode = modeReport
	}
	const closed = ^uintptr(0) // StartProcess closes these fds in the child
	attr := &syscall.ProcAttr{
		Env:   []string{},
		Files: []uintptr{closed, closed, 2, uintptr(pair[1])},
		Sys:   &syscall.SysProcAttr{Cloneflags: unix.CLONE_PARENT},
	}
	argv := []string{os.Args[0], Command, mode}
	_, _, err = syscall.StartProcess("/proc/self/exe", argv, attr)
	if errors.Is(err, unix.EINVAL) {
		attr.Sys.Cloneflags = 0
		_, _, err = syscall.StartProcess("/proc/self/exe", argv, attr)
	}
	if err != nil {
		unix.Close(pair[0])
		return nil, fmt.Errorf("supervisor: start /proc/self/exe %s: %w", Command, err)
	}
	return os.NewFile(uintptr(pair[0]), "supervisor socket"), nil
}

// Main runs the supervisor process that Spawn starts and exits: status 0
// when the task is gone, 1 with a message on stderr if supervision failed.
func Main() {
	if len(os.Args) != 3 || os.Args[1] != Command || (os.Args[2] != modeReport && os.Args[2] != modeQuiet) {
		fail(fmt.Errorf("usage: %s %s %s|%s; this entry is started by pledge itself", os.Args[0], Command, modeReport, modeQuiet))
	}
	if err := harden(); err != nil {
		fail(err)
	}
	signal.Ignore(unix.SIGINT, unix.SIGQUIT, unix.SIGHUP, unix.SIGTERM, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU, unix.SIGPIPE)
	var cfg Config
	if os.Args[2] == modeReport {
		cfg.Report = writeViolation
	}
	err := Serve(context.Background(), os.NewFile(socketFD, "supervisor socket"), cfg)
	if err != nil && !errors.Is(err, ErrNoListener) {
		fail(err)
	}
	os.Exit(0)
}

// writeViolation prints a violation's lines to stderr in one write.
func writeViolation(v Violation) {
	os.Stderr.WriteString(strings.Join(v.Lines(), "\n") + "\n")
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pledge: supervisor: %v\n", err)
	os.Exit(1)
}

// harden leaves the supervisor nothing the task could borrow: not dumpable
// (no ptrace attach, no /proc/<pid>/mem for the same uid without
// CAP_SYS_PTRACE), no capabilities, and no_new_privs. Capabilities and
// no_new_privs are per thread: they are set on every thread, or, in a cgo
// build where the runtime cannot do that, on the locked main thread that
// runs Serve.
func harden() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_DUMPABLE: %w", err)
	}
	if err := prctlAllThreads(unix.PR_SET_NO_NEW_PRIVS, 1); err != nil {
		return fmt.Errorf("PR_SET_NO_NEW_PRIVS: %w", err)
	}
	if err := prctlAllThreads(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL); err != nil {
		return fmt.Errorf("PR_CAP_AMBIENT_CLEAR_ALL: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	_, _, e := syscall.AllThreadsSyscall(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	if e == syscall.ENOTSUP {
		runtime.LockOSThread()
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			return fmt.Errorf("capset (drop all): %w", err)
		}
		return nil
	}
	if e != 0 {
		return fmt.Errorf("capset (drop all): %w", e)
	}
	return nil
}

// prctlAllThreads calls prctl on every thread of the process, or only on
// the locked calling thread where the runtime cannot (cgo).
func prctlAllThreads(option, arg uintptr) error {
	_, _, e := syscall.AllThreadsSyscall(unix.SYS_PRCTL, option, arg, 0)
	if e == syscall.ENOTSUP {
		runtime.LockOSThread()
		_, _, e = syscall.RawSyscall(unix.SYS_PRCTL, option, arg, 0)
	}
	if e != 0 {
		return e
	}
	return nil
}
