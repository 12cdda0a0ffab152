package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

// The pledge command line supervises the program itself when the filter
// needs a supervisor (reporting, or a dynamic program's loader phase):
// rather than start a second process, the shim applies everything a
// program inherits (fds, nice, rlimits, capabilities, ids, no_new_privs,
// Landlock) to its locked thread, compiles the filter, starts the program
// from that thread with a vfork (the child borrows the parent's memory and
// stack until it execs, so nothing is copied; see forkChild), and serves
// the child's seccomp notifications in-process while it waits for it. The
// child installs the filter, hands the listener back and execs. Signals
// for the program are caught from the start by a handler that runs no Go
// code and sends them on through the program's pidfd (catchSignals).
//
// The parent then runs under the same Landlock domain, ids and capabilities
// as the program (on its locked thread) but without the filter. That is no
// looser policy the program could borrow: the parent is not dumpable
// (PR_SET_DUMPABLE 0), so the program can neither ptrace it nor open its
// /proc/<pid>/mem or fds without CAP_SYS_PTRACE, which the capability drop
// and the filter withhold; the program holds no fd of the parent's (the
// sockets and the listener are close-on-exec); and the signals it may send
// the parent only come back to itself (forwarded) or end the supervision
// (SIGKILL), after which its routed calls fail with ENOSYS: denials stay
// denials.
//
// Residual differences from executing in place: the program is the
// parent's child, not the process the caller started (its pid differs;
// pledge mirrors its exit status, including death by a signal); signals the
// terminal sends the whole foreground process group (SIGINT, SIGQUIT,
// SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH) are not forwarded, so a SIGINT or
// SIGQUIT sent with kill to pledge's pid alone does not reach the program,
// and SIGSTOP to pledge alone does not stop it; and descendants that outlive
// the program are no longer supervised once pledge has exited with it (their
// routed calls fail with ENOSYS).

// forwardedSignals are the signals pledge passes on to the program: the
// catchable standard ones except the terminal's job-control and window
// signals, which reach the program directly through its process group
// (SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH), SIGCHLD (about
// pledge's own child), SIGURG (the Go runtime's preemption signal), SIGPIPE
// (pledge's own broken stderr) and the synchronous ones. Real-time signals
// are not forwarded.
var forwardedSignals = [...]unix.Signal{
	unix.SIGHUP, unix.SIGTERM, unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM, unix.SIGCONT,
	unix.SIGVTALRM, unix.SIGPROF, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGIO, unix.SIGPWR,
	unix.SIGSTKFLT, unix.SIGABRT,
}

// ignoredSignals are the signals pledge ignores while it supervises: SIGINT
// and SIGQUIT (so that pledge outlives a Ctrl-C the program survives; the
// program gets its own copy from the terminal), and SIGPIPE (pledge's
// reports on a closed stderr).
var ignoredSignals = []os.Signal{unix.SIGINT, unix.SIGQUIT, unix.SIGPIPE}

// forwardPidfd is the program's pidfd once it exists, -1 before; bit sig-1
// of forwardPending is set for each forwarded signal received and not yet
// sent on. forwardSignal (in assembly) and forwardTo share them, atomically.
var (
	forwardPidfd   int32 = -1
	forwardPending uint64
)

// Flags of the forwarding handler (asm-generic/signal-defs.h, x86 and arm64
// signal.h).
const (
	saRestorer = 0x04000000
	saOnstack  = 0x08000000
	saRestart  = 0x10000000
)

// caughtSignals records what catchSignals found.
type caughtSignals struct {
	// keepIgnored has bit sig-1 set for each signal pledge was started
	// with ignored (nohup's SIGHUP), which the program keeps ignoring as
	// it would across a plain exec. Every other handler is reset.
	keepIgnored uint64
}

// catchSignals makes pledge ignore ignoredSignals and catch
// forwardedSignals with forwardSignal, so that none of them can end pledge
// instead of reaching the program: one arriving before the program exists
// is kept and sent on as soon as it does (forwardTo), one arriving after is
// sent on at once. The handler runs on the thread's alternate signal stack
// (every Go thread has one) with every signal blocked, and restarts the
// system calls it interrupts.
func catchSignals() (*caughtSignals, error) {
	c := &caughtSignals{}
	for sig := 1; sig <= maxSignal; sig++ {
		if signal.Ignored(unix.Signal(sig)) {
			c.keepIgnored |= 1 << (sig - 1)
		}
	}
	signal.Ignore(ignoredSignals...)
	handler, restorer := forwardHandlers()
	if handler == 0 {
		return nil, fail(ExitPledge, "forward signals to the program", fmt.Errorf("no signal handler for %s: run with -q and a static program", runtime.GOARCH))
	}
	act := sigaction{handler: handler, flags: saOnstack | saRestart | saRestorer, restorer: restorer, mask: ^uint64(0)}
	for _, sig := range forwardedSignals {
		_, _, e := syscall.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
		if e != 0 {
			return nil, fail(ExitPledge, "rt_sigaction("+unix.SignalName(sig)+") to forward it to the program", e)
		}
	}
	return c, nil
}

// forwardTo starts passing forwarded signals on to the program, through its
// pidfd, which, unlike its pid, cannot name another process once it has
// been reaped: it publishes the pidfd to forwardSignal, then sends what
// arrived before. A signal whose bit forwardSignal sets after this swap
// sees the pidfd and is sent by the handler itself.
func forwardTo(pidfd int32) {
	atomic.StoreInt32(&forwardPidfd, pidfd)
	for pending := atomic.SwapUint64(&forwardPending, 0); pending != 0; pending &= pending - 1 {
		sig := unix.Signal(bits.TrailingZeros64(pending) + 1)
		unix.PidfdSendSignal(int(pidfd), sig, nil, 0)
	}
}

// forkAndSupervise starts the program as a child (sigs are caught), serves
// its notifications and waits for it, then exits the way it did. It returns
// only if the vfork or the child's steps before the exec failed, with the
// error to report. name is the program for messages, report whether
// violations are written to stderr.
func (f *filterPlan) forkAndSupervise(sigs *caughtSignals, dirfd int, path string, flags int, argv, env []string, name string, report bool) error {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail(ExitPledge, "socketpair for the program's status", err)
	}
	a, err := f.forkArgs(dirfd, path, flags, argv, env, pair[1], sigs.keepIgnored)
	if err != nil {
		return asError(ExitPledge, "pledge", err)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fail(ExitPledge, "prctl(PR_SET_DUMPABLE, 0)", err)
	}
	syscall.ForkLock.Lock()
	pid, errno := forkChild(a)
	syscall.ForkLock.Unlock()
	runtime.KeepAlive(a)
	runtime.KeepAlive(f)
	unix.Close(pair[1])
	f.sup.Close()
	if errno != 0 {
		return fail(ExitPledge, "fork the program", errno)
	}
	forwardTo(a.pidfd)
	f.superviseInProcess(report)
	ws, err := waitChild(int(pid))
	if err != nil {
		return fail(ExitPledge, "wait for the program (pid "+strconv.Itoa(int(pid))+")", err)
	}
	if err := childError(pair[0], name); err != nil {
		return err
	}
	exitLike(ws)
	return nil
}

// forkArgs prepares what the child needs: exec arguments as C pointers,
// the hand-off and failure messages, and where to write its pid.
func (f *filterPlan) forkArgs(dirfd int, path string, flags int, argv, env []string, status int, keepIgnored uint64) (*forkArgs, error) {
	pathp, argvp, envp, err := execPointers(path, argv, env)
	if err != nil {
		return nil, err
	}
	a := &forkArgs{
		allMask:     ^uint64(0),
		keepIgnored: keepIgnored,
		dfl:         sigaction{handler: sigDFL},
		ign:         sigaction{handler: sigIGN},
		fprog:       &f.fprog,
		flags:       f.flags,
		sock:        int(f.sup.Fd()),
		msg:         &f.msg,
		fdSlot:      (*int32)(unsafe.Pointer(&f.oob[unix.CmsgLen(0)])),
		status:      status,
		dirfd:       dirfd,
		path:        pathp,
		execFlags:   flags,
		argv:        &argvp[0],
		envp:        &envp[0],
		cookie:      f.cookie,
	}
	iov := &unix.Iovec{Base: (*byte)(unsafe.Pointer(&a.failure))}
	iov.SetLen(int(unsafe.Sizeof(a.failure)))
	a.statusMsg = &unix.Msghdr{Iov: iov, Iovlen: 1}
	if err := a.bindPID(f.insns, f.payload); err != nil {
		return nil, err
	}
	return a, nil
}

// bpfJeqK is BPF_JMP|BPF_JEQ|BPF_K, the only instruction placeholderPID may
// appear in.
const bpfJeqK = 0x15

// bindPID finds the places the child writes its pid into: the K of every
// instruction testing placeholderPID, and the payload's SelfPID field.
func (a *forkArgs) bindPID(insns []unix.SockFilter, payload []byte) error {
	n := 0
	for i := range insns {
		in := &insns[i]
		if in.K != placeholderPID {
			continue
		}
		if in.Code != bpfJeqK || n == maxSelfSlots {
			return fmt.Errorf("seccomp filter: instruction %d uses the placeholder pid %d in opcode %#x (want at most %d jeq tests); the pid cannot be patched after the fork", i, placeholderPID, in.Code, maxSelfSlots)
		}
		a.selfK[n] = &in.K
		n++
	}
	field := []byte(":" + strconv.Itoa(placeholderPID) + ":")
	i := bytes.Index(payload, field)
	if i < 0 {
		return fmt.Errorf("listener hand-off %q has no %s field to patch with the program's pid", payload, field)
	}
	a.pidField = (*[pidDigits]byte)(payload[i+1 : i+1+pidDigits])
	return nil
}

// superviseInProcess serves the child's notifications on another
// goroutine. pledge exits once the program has, without waiting for it:
// every report of the program's calls was written before the call was
// answered, hence before the program could exit. Descendants that outlive
// the program lose their supervisor then (see above).
func (f *filterPlan) superviseInProcess(report bool) {
	cfg := supervisor.Config{}
	if report {
		cfg.Report = writeViolation
	}
	go func() {
		err := supervisor.Serve(context.Background(), f.serve, cfg)
		if err != nil && !errors.Is(err, supervisor.ErrNoListener) {
			os.Stderr.WriteString("pledge: supervisor: " + err.Error() + "\n")
		}
	}()
}

// writeViolation prints a violation's lines to stderr in one write.
func writeViolation(v supervisor.Violation) {
	os.Stderr.WriteString(strings.Join(v.Lines(), "\n") + "\n")
}

// waitChild reaps the program and returns its status.
func waitChild(pid int) (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			return ws, err
		}
	}
}

// childError is the failure the child reported on the status socket before
// it could exec, or nil if it reported none (it executed the program).
func childError(status int, name string) error {
	var msg childFailure
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&msg)), unsafe.Sizeof(msg))
	n, _, err := unix.Recvfrom(status, buf, unix.MSG_DONTWAIT)
	if err != nil || n != len(buf) {
		return nil
	}
	return fail(ExitExecFailed, name+": execve failed", fmt.Errorf("%s: %w", childStep(msg.step), syscall.Errno(msg.errno)))
}

// childStep names a step of the child.
func childStep(step uint32) string {
	switch step {
	case childInstall:
		return stepInstall
	case childHandoff:
		return stepHandoff
	}
	return stepExec
}

// exitLike ends this process the way the program ended: with its exit
// status, or killed by the same signal, so that a shell sees the same
// status (e.g. 159 for SIGSYS).
func exitLike(ws unix.WaitStatus) {
	if ws.Signaled() {
		dieBySignal(ws.Signal())
	}
	os.Exit(ws.ExitStatus())
}

// dieBySignal kills this process with sig's default action: no core file
// (the program dumped its own if it could), the Go runtime's handler
// replaced, the signal unblocked on this thread, then sent to it. It
// falls back to the shell's 128+sig convention if sig does not kill.
func dieBySignal(sig unix.Signal) {
	runtime.LockOSThread()
	unix.Prlimit(0, unix.RLIMIT_CORE, &unix.Rlimit{}, nil)
	var dfl sigaction
	syscall.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	mask := uint64(1) << (sig - 1)
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, sigUnblock, uintptr(unsafe.Pointer(&mask)), 0, 8, 0, 0)
	unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
	os.Exit(128 + int(sig))
}
