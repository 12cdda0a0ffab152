package nsexec

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelSigaction is the kernel's struct sigaction for rt_sigaction on
// amd64 and arm64 (both have sa_restorer).
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// cloneArgs is the kernel's struct clone_args (clone3, Linux 5.7 layout
// with the cgroup field).
type cloneArgs struct {
	flags, pidfd, childTID, parentTID, exitSignal uint64
	stack, stackSize, tls, setTID, setTIDSize     uint64
	cgroup                                        uint64
}

// Raw signal values for the children, which may not call the runtime.
const (
	rawSigDFL     = 0
	rawSigIGN     = 1
	rawSigBlock   = 0
	rawSigSetmask = 2
	rawMaxSignal  = 64
)

// Steps of the children of [Process.Enter] in a user namespace, reported
// to the driver when one fails.
const (
	enterStepSetns uint32 = iota + 1
	enterStepFork
	enterStepSession
	enterStepFDs
	enterStepTTY
	enterStepExec
)

// enterReport is one message of the children to the driver: the joiner's
// "started pid" or either child's failure.
type enterReport struct {
	pid   int64
	step  uint32
	errno uint32
}

// enterArgs is everything the two children of enterForkJoin touch,
// prepared before the fork. They read pointers from it and write only
// plain integers, so no write barrier can run.
type enterArgs struct {
	allMask, oldMask uint64
	dfl, ign, old    kernelSigaction
	clone            cloneArgs

	initPidfd uintptr
	nsFlags   uintptr
	report    uintptr // write end of the report pipe, above every fd in files
	msg       enterReport

	files   []int32 // the command's fds 0, 1, 2, …
	moved   []int32 // their copies above len(files), made by the command
	setctty bool

	path *byte
	argv **byte
	envp **byte
}

// enterForkJoin forks the calling thread with clone3 (no CLONE_VM: the
// child gets a copy of the address space, and it is single-threaded, which
// setns into a user namespace requires) and returns the child's pid in the
// parent. The child, the joiner, runs enterJoiner and never returns.
//
// As in syscall.forkAndExecInChild1, nothing after the fork may run Go
// runtime code: other threads may have held runtime locks at the fork. So
// only nosplit functions making raw system calls run in the children (no
// allocation, no stack growth, no write barriers, no race or checkptr
// instrumentation), and every signal is blocked across the fork so that no
// Go signal handler runs in a child; the command resets the handlers and
// restores the mask before its execve.
//
//go:nosplit
//go:norace
//go:nocheckptr
func enterForkJoin(a *enterArgs) (pid uintptr, errno syscall.Errno) {
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, rawSigSetmask, uintptr(unsafe.Pointer(&a.allMask)), uintptr(unsafe.Pointer(&a.oldMask)), 8, 0, 0)
	pid, _, errno = syscall.RawSyscall6(unix.SYS_CLONE3, uintptr(unsafe.Pointer(&a.clone)), unsafe.Sizeof(a.clone), 0, 0, 0, 0)
	if errno != 0 || pid != 0 {
		syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, rawSigSetmask, uintptr(unsafe.Pointer(&a.oldMask)), 0, 8, 0, 0)
		return pid, errno
	}
	enterJoiner(a)
	return 0, 0
}

// enterJoiner joins init's namespaces, user namespace first (setns on the
// pidfd does that in one call), then forks the command with CLONE_PARENT:
// the command is the driver's child, so the driver waits for it like for
// any child, and it is created in the task's pid namespace, which setns
// only sets for children. It reports the command's pid and exits.
//
//go:nosplit
//go:norace
//go:nocheckptr
func enterJoiner(a *enterArgs) {
	if _, _, e := syscall.RawSyscall6(unix.SYS_SETNS, a.initPidfd, a.nsFlags, 0, 0, 0, 0); e != 0 {
		enterFail(a, enterStepSetns, e)
	}
	pid, _, e := syscall.RawSyscall6(unix.SYS_CLONE, unix.CLONE_PARENT, 0, 0, 0, 0, 0)
	if e != 0 {
		enterFail(a, enterStepFork, e)
	}
	if pid == 0 {
		enterCommand(a)
	}
	a.msg = enterReport{pid: int64(pid)}
	syscall.RawSyscall6(unix.SYS_WRITE, a.report, uintptr(unsafe.Pointer(&a.msg)), unsafe.Sizeof(a.msg), 0, 0, 0)
	for {
		syscall.RawSyscall6(unix.SYS_EXIT_GROUP, 0, 0, 0, 0, 0, 0)
	}
}

// enterCommand is the command's process before its execve: a session of
// its own (with the terminal on fd 0 as controlling terminal), its fds in
// place and no other, an empty capability bounding set (setns gave it every capability
// over the task's user namespace, which execve clears as it does not run as
// root there, but the bounding set would stay full), default signal
// handlers (ignored signals stay ignored, as across any execve) and the
// driver's signal mask.
//
//go:nosplit
//go:norace
//go:nocheckptr
func enterCommand(a *enterArgs) {
	if _, _, e := syscall.RawSyscall6(unix.SYS_SETSID, 0, 0, 0, 0, 0, 0); e != 0 {
		enterFail(a, enterStepSession, e)
	}
	n := uintptr(len(a.files))
	for i := range a.files {
		fd, _, e := syscall.RawSyscall6(unix.SYS_FCNTL, uintptr(a.files[i]), unix.F_DUPFD_CLOEXEC, n, 0, 0, 0)
		if e != 0 {
			enterFail(a, enterStepFDs, e)
		}
		a.moved[i] = int32(fd)
	}
	for i := range a.moved {
		if _, _, e := syscall.RawSyscall6(unix.SYS_DUP3, uintptr(a.moved[i]), uintptr(i), 0, 0, 0, 0); e != 0 {
			enterFail(a, enterStepFDs, e)
		}
	}
	// Only the listed fds may reach the command, whatever the driver
	// inherited without close-on-exec.
	if _, _, e := syscall.RawSyscall6(unix.SYS_CLOSE_RANGE, n, ^uintptr(0), unix.CLOSE_RANGE_CLOEXEC, 0, 0, 0); e != 0 {
		enterFail(a, enterStepFDs, e)
	}
	if a.setctty {
		if _, _, e := syscall.RawSyscall6(unix.SYS_IOCTL, 0, unix.TIOCSCTTY, 0, 0, 0, 0); e != 0 {
			enterFail(a, enterStepTTY, e)
		}
	}
	for c := uintptr(0); c < 64; c++ {
		if _, _, e := syscall.RawSyscall6(unix.SYS_PRCTL, unix.PR_CAPBSET_DROP, c, 0, 0, 0, 0); e != 0 {
			break // EINVAL: past the kernel's last capability
		}
	}
	for sig := uintptr(1); sig <= rawMaxSignal; sig++ {
		if sig == uintptr(unix.SIGKILL) || sig == uintptr(unix.SIGSTOP) {
			continue
		}
		syscall.RawSyscall6(unix.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&a.dfl)), uintptr(unsafe.Pointer(&a.old)), 8, 0, 0)
		if a.old.handler == rawSigIGN {
			syscall.RawSyscall6(unix.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&a.ign)), 0, 8, 0, 0)
		}
	}
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, rawSigSetmask, uintptr(unsafe.Pointer(&a.oldMask)), 0, 8, 0, 0)
	_, _, e := syscall.RawSyscall6(unix.SYS_EXECVE, uintptr(unsafe.Pointer(a.path)), uintptr(unsafe.Pointer(a.argv)), uintptr(unsafe.Pointer(a.envp)), 0, 0, 0)
	enterFail(a, enterStepExec, e)
}

// enterFail reports a child's failed step to the driver and exits.
//
//go:nosplit
//go:norace
//go:nocheckptr
func enterFail(a *enterArgs, step uint32, e syscall.Errno) {
	a.msg = enterReport{step: step, errno: uint32(e)}
	syscall.RawSyscall6(unix.SYS_WRITE, a.report, uintptr(unsafe.Pointer(&a.msg)), unsafe.Sizeof(a.msg), 0, 0, 0)
	for {
		syscall.RawSyscall6(unix.SYS_EXIT_GROUP, 127, 0, 0, 0, 0, 0)
	}
}
