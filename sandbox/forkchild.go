package sandbox

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// placeholderPID is the pid a forked program's filter and hand-off payload
// are compiled with, before the fork, in place of the child's pid, which the
// child writes over it. It lies above any possible pid (PID_MAX_LIMIT is
// 2^22), so it never equals a real one, and far from every constant of the
// promise catalog, so the compiler emits it only as jeq tests of stdio's
// kill/tgkill self rules (TestPlaceholderPatch checks this).
const placeholderPID = 4_000_000_000

// pidDigits is how many decimal digits the payload's pid field gets: the
// placeholder's, enough for any pid once zero-padded.
const pidDigits = 10

// maxSelfSlots bounds the filter instructions that compare against the pid
// (one kill and one tgkill test per architecture the filter checks).
const maxSelfSlots = 8

// sigaction is the kernel's struct sigaction for rt_sigaction on amd64 and
// arm64 (both have sa_restorer).
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// Signal numbers and actions for the raw calls of the child.
const (
	sigDFL     = 0
	sigIGN     = 1
	sigSetmask = 2
	sigUnblock = 1
	maxSignal  = 64
)

// Steps of the child, reported to the parent when one fails.
const (
	childInstall uint32 = iota + 1
	childHandoff
	childExec
)

// childFailure is the message a failing child sends its parent.
type childFailure struct {
	step  uint32
	errno uint32
}

// forkArgs is everything the child touches, prepared before the clone.
// The child reads pointers from it and writes only plain integers (the
// patched pid, the listener fd, a failure), so no write barrier can run; it
// lives on the heap because the child must not take the address of
// anything on its stack that could escape.
type forkArgs struct {
	allMask, oldMask uint64
	keepIgnored      uint64 // bit sig-1: the program keeps sig ignored
	dfl, ign         sigaction
	pidfd            int32

	fprog    *unix.SockFprog
	flags    uintptr
	selfK    [maxSelfSlots]*uint32 // K fields of the filter's pid tests, then nil
	pidField *[pidDigits]byte      // the payload's SelfPID digits

	sock   int // hand-off socket, sending end
	msg    *unix.Msghdr
	fdSlot *int32

	status    int // failure socket, sending end
	statusMsg *unix.Msghdr
	failure   childFailure

	dirfd     int
	path      *byte
	execFlags int
	argv      **byte
	envp      **byte
	cookie    uint64
}

// forkChild starts the program from the calling thread with a vfork
// (rawVfork: clone with CLONE_VM|CLONE_VFORK|CLONE_PIDFD and SIGCHLD) and
// returns the child's pid in the parent once the child has executed the
// program or exited, leaving the parent's signal mask as it found it;
// a.pidfd is the child's pidfd. In the child it runs childMain, which never
// returns.
//
// The child shares this process's memory and runs on this thread's stack
// until it execs, while this thread waits in the kernel and the process's
// other threads go on running Go code. So, like the child of
// syscall.forkAndExecInChild1, it must not run Go runtime code (it has the
// parent's g and m, and the runtime's state is live, not a copy): only
// nosplit functions making raw system calls run in it (no allocation, no
// stack growth, no write barriers, no race or checkptr instrumentation),
// every signal is blocked across the clone so that no handler runs in it
// before it resets them (its handler table is its own: no CLONE_SIGHAND),
// and it writes only the plain integers of a. Neither this function nor
// childMain is inlined: the child then leaves behind, in this frame, only
// what the parent holds too (a), and the parent reads its results fresh
// from rawVfork. The runtime cannot preempt or move this goroutine's stack
// meanwhile: its preemption signal is blocked on this thread.
//
//go:nosplit
//go:noinline
//go:norace
//go:nocheckptr
func forkChild(a *forkArgs) (pid uintptr, errno syscall.Errno) {
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&a.allMask)), uintptr(unsafe.Pointer(&a.oldMask)), 8, 0, 0)
	pid, e := rawVfork(unix.CLONE_VM|unix.CLONE_VFORK|unix.CLONE_PIDFD|uintptr(unix.SIGCHLD), uintptr(unsafe.Pointer(&a.pidfd)))
	if e != 0 || pid != 0 {
		syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&a.oldMask)), 0, 8, 0, 0)
		return pid, syscall.Errno(e)
	}
	childMain(a)
	return 0, 0
}

// childMain is the vforked child: default signal handlers (signals pledge
// was started with ignored stay ignored, as across an exec), the parent's signal
// mask, its own pid in the filter and the payload, then the filter, the
// listener hand-off to the parent and execveat, both with the cookie. On a
// failure it tells the parent which step failed and why, and exits.
//
//go:nosplit
//go:noinline
//go:norace
//go:nocheckptr
func childMain(a *forkArgs) {
	for sig := uintptr(1); sig <= maxSignal; sig++ {
		if sig == uintptr(unix.SIGKILL) || sig == uintptr(unix.SIGSTOP) {
			continue
		}
		act := &a.dfl
		if a.keepIgnored&(1<<(sig-1)) != 0 {
			act = &a.ign
		}
		syscall.RawSyscall6(unix.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(act)), 0, 8, 0, 0)
	}
	pid, _, _ := syscall.RawSyscall(unix.SYS_GETPID, 0, 0, 0)
	for i := range len(a.selfK) {
		if a.selfK[i] != nil {
			*a.selfK[i] = uint32(pid)
		}
	}
	if a.pidField != nil {
		for i, v := pidDigits-1, pid; i >= 0; i, v = i-1, v/10 {
			a.pidField[i] = byte('0' + v%10)
		}
	}
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&a.oldMask)), 0, 8, 0, 0)

	listener, _, e := syscall.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, a.flags, uintptr(unsafe.Pointer(a.fprog)))
	if e != 0 {
		childFail(a, childInstall, e, ExitPledge)
	}
	*a.fdSlot = int32(listener)
	n, _, e := syscall.RawSyscall6(unix.SYS_SENDMSG, uintptr(a.sock), uintptr(unsafe.Pointer(a.msg)), unix.MSG_NOSIGNAL, 0, 0, uintptr(a.cookie))
	if e == 0 && n != uintptr(a.msg.Iov.Len) {
		e = syscall.EIO
	}
	if e != 0 {
		childFail(a, childHandoff, e, ExitPledge)
	}
	_, _, e = syscall.RawSyscall6(unix.SYS_EXECVEAT, uintptr(a.dirfd), uintptr(unsafe.Pointer(a.path)),
		uintptr(unsafe.Pointer(a.argv)), uintptr(unsafe.Pointer(a.envp)), uintptr(a.execFlags), uintptr(a.cookie))
	childFail(a, childExec, e, ExitExecFailed)
}

// childFail sends the failed step and errno to the parent (sendmsg with the
// cookie, which the filter allows whatever the promises) and exits with
// code.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childFail(a *forkArgs, step uint32, e syscall.Errno, code uintptr) {
	a.failure = childFailure{step: step, errno: uint32(e)}
	syscall.RawSyscall6(unix.SYS_SENDMSG, uintptr(a.status), uintptr(unsafe.Pointer(a.statusMsg)), unix.MSG_NOSIGNAL, 0, 0, uintptr(a.cookie))
	for {
		syscall.RawSyscall(unix.SYS_EXIT_GROUP, code, 0, 0)
	}
}
