package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/preload"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

// filterPlan is the compiled seccomp filter and everything installAndExec
// needs, prepared before anything irreversible happens.
//
// The filter allows execveat and sendmsg whose sixth argument register
// equals a random cookie, which only this process knows: installAndExec
// uses it for the listener hand-off and for its one exec, and after exec it
// exists only inside the kernel's copy of the filter, so the program cannot
// exec again unless it holds exec.
//
// Dynamic programs (PT_INTERP) keep exactly their promises. The filter
// allows mapping files executable (ld.so maps code; residual difference:
// the program may map any readable file PROT_EXEC, never anonymous memory,
// and may not mprotect to exec), and, when rpath is not granted, routes
// rpath's calls to a supervisor that lets them through only during the
// loader phase, which the preload object (LD_PRELOAD) ends from its
// constructor. On arm64 no preload exists yet: dynamic programs there keep
// rpath.
type filterPlan struct {
	fprog  unix.SockFprog
	insns  []unix.SockFilter
	flags  uintptr
	cookie uint64

	// supervisor hand-off; sup is nil when there is no supervisor. sup is
	// the shim's sending end: the Nomad driver's socket (NotifyFD), or,
	// when the shim supervises the program itself (forks), one end of a
	// socket pair whose other end, serve, this process serves.
	sup     *os.File
	serve   *os.File
	forks   bool
	msg     unix.Msghdr
	iov     unix.Iovec
	payload []byte
	oob     []byte

	preload string

	// compiled receives the outcome of compile, which runs alongside the
	// rest of the shim's steps (see ready).
	compiled chan error
}

// compile compiles the filter into insns and fprog.
func (f *filterPlan) compile(set promises.Set, opts promises.Options) error {
	prog, err := promises.Compile(set, opts)
	if err != nil {
		return fmt.Errorf("compile seccomp filter for %q: %w", set, err)
	}
	// A Program already is the kernel's encoding: no Assemble copy.
	f.insns = make([]unix.SockFilter, len(prog))
	for i, r := range prog {
		f.insns[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	f.fprog = unix.SockFprog{Len: uint16(len(f.insns)), Filter: &f.insns[0]}
	return nil
}

// ready waits for the filter's compilation. The compiler needs no
// privileges or per-thread state, so it runs on another goroutine, on
// another core when one is free, while this thread drops privileges and
// builds the Landlock domain.
func (f *filterPlan) ready() error {
	return <-f.compiled
}

// planFilter starts compiling the filter for p and a program of the given
// kind (see ready), installs the preload object if the program needs one,
// and prepares the supervisor hand-off: to p.NotifyFD, or, with p.SelfSupervise, to this
// process, which then forks the program (see forkAndSupervise). A filter
// for a forked program is compiled for placeholderPID, which the child
// replaces with its own pid.
func planFilter(p *Policy, kind targetKind) (*filterPlan, error) {
	cookie, err := randomCookie()
	if err != nil {
		return nil, err
	}
	set, opts, err := filterOptions(p, kind, cookie)
	if err != nil {
		return nil, err
	}
	forks := needsSupervisor(opts) && p.NotifyFD < 0 && p.SelfSupervise
	if forks {
		opts.SelfPID = placeholderPID
	}
	f := &filterPlan{cookie: cookie, forks: forks, compiled: make(chan error, 1)}
	go func() { f.compiled <- f.compile(set, opts) }()
	if opts.Loader != 0 {
		if f.preload, err = preload.Install(os.TempDir()); err != nil {
			return nil, err
		}
	}
	if !needsSupervisor(opts) {
		return f, nil
	}
	if err := f.attachSupervisor(p, set, opts); err != nil {
		return nil, err
	}
	return f, nil
}

// needsSupervisor says whether a filter with opts routes calls to a
// supervisor: for reporting, or for the loader phase of a dynamic program
// without rpath.
func needsSupervisor(opts promises.Options) bool {
	return opts.Penalty == promises.PenaltyNotify || opts.Loader != 0
}

// filterOptions decides the compiled set and options: the user's promises,
// the penalty (USER_NOTIF when a supervisor reports EPERM denials; a kill
// stays in the filter even when reporting), and the loader allowances of
// dynamic programs.
func filterOptions(p *Policy, kind targetKind, cookie uint64) (promises.Set, promises.Options, error) {
	opts := promises.Options{
		Arch:    promises.NativeArch(),
		SelfPID: uint32(unix.Getpid()),
		Cookie:  cookie,
	}
	switch p.Penalty {
	case promises.PenaltyEPERM:
		if p.Report {
			opts.Penalty = promises.PenaltyNotify
		}
	case promises.PenaltyKill:
		opts.Penalty = promises.PenaltyKill
	default:
		return 0, opts, fmt.Errorf("policy penalty %v: want EPERM or kill (reporting is Policy.Report)", p.Penalty)
	}
	set := p.Promises
	if kind == kindDynamic {
		opts.FileExec = true
		switch {
		case set&promises.Rpath != 0:
		case opts.Arch == promises.AMD64:
			opts.Loader = promises.Rpath
		default:
			set |= promises.Rpath
		}
	}
	return set, opts, nil
}

// attachSupervisor prepares the listener hand-off to the Nomad driver's
// supervisor (p.NotifyFD) or to this process (p.SelfSupervise).
func (f *filterPlan) attachSupervisor(p *Policy, set promises.Set, opts promises.Options) error {
	switch {
	case p.NotifyFD >= 0:
		f.sup = os.NewFile(uintptr(p.NotifyFD), "supervisor socket")
	case f.forks:
		pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("supervisor socket pair: %w", err)
		}
		f.serve = os.NewFile(uintptr(pair[0]), "supervisor socket")
		f.sup = os.NewFile(uintptr(pair[1]), "program's supervisor socket")
	default:
		return errors.New("the filter needs a supervisor (reporting, or a dynamic program without rpath) but the policy has no NotifyFD and SelfSupervise is off")
	}
	f.flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	f.payload = supervisor.HandoffPayload(supervisor.Config{Arch: opts.Arch, Set: set, Options: opts})
	f.oob = unix.UnixRights(-1)
	f.iov = unix.Iovec{Base: &f.payload[0]}
	f.iov.SetLen(len(f.payload))
	f.msg = unix.Msghdr{Iov: &f.iov, Iovlen: 1, Control: &f.oob[0]}
	f.msg.SetControllen(len(f.oob))
	return nil
}

// connect readies the sending socket: close-on-exec (the program must not
// inherit it) and SO_PASSCRED (the receiver learns the sender's pid from
// credentials the kernel attaches).
func (f *filterPlan) connect() error {
	if f.sup == nil {
		return nil
	}
	fd := int(f.sup.Fd())
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return fmt.Errorf("supervisor socket fd %d: %w", fd, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		return fmt.Errorf("supervisor socket fd %d: SO_PASSCRED: %w (is it a unix socket?)", fd, err)
	}
	return nil
}

// randomCookie draws a nonzero 64-bit secret from the kernel, with the
// getrandom system call itself: unix.Getrandom goes through the vDSO,
// whose first use sets up per-thread state with an mmap, which costs more
// than the system call for the eight bytes a run needs.
func randomCookie() (uint64, error) {
	var b [8]byte
	for {
		r, _, e := syscall.Syscall(unix.SYS_GETRANDOM, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, fmt.Errorf("getrandom for the exec cookie: %w", e)
		}
		if int(r) != len(b) {
			return 0, fmt.Errorf("getrandom for the exec cookie: read %d of %d bytes", r, len(b))
		}
		if c := binary.LittleEndian.Uint64(b[:]); c != 0 {
			return c, nil
		}
	}
}

// environ returns env as the program must see it: with the loader phase,
// LD_PRELOAD names the preload object and any LD_PRELOAD or _PLEDGE of the
// caller is dropped (their code would run inside the loader phase).
func (f *filterPlan) environ(env []string) []string {
	if f.preload == "" {
		return env
	}
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if strings.HasPrefix(kv, "LD_PRELOAD=") || strings.HasPrefix(kv, "_PLEDGE=") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "LD_PRELOAD="+f.preload)
}

// checkPreload fails closed when ld.so will not be able to load the preload
// object. The loader phase ends only when the object's constructor runs; if
// ld.so cannot read it (it merely warns and goes on), the phase never ends
// and the program keeps the loader's promises (rpath) for good. So, as the
// final user under the final Landlock domain (after setuid and unveil,
// before the filter), the shim opens the object for reading as ld.so will,
// and refuses to run the program if that fails.
func (f *filterPlan) checkPreload() error {
	if f.preload == "" {
		return nil
	}
	fd, err := unix.Open(f.preload, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return unreadableExtra(f.preload, err)
	}
	unix.Close(fd)
	return nil
}

// unreadableExtra is the error for a path of extraUnveils (the preload
// object) that the program's user cannot reach.
func unreadableExtra(path string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		err = e.Err
	}
	return fail(ExitUnveil, "the program cannot read the loader-phase preload "+path+
		" (its directory comes from TMPDIR): set TMPDIR to a directory the program's user can read, "+
		"or grant rpath so that no preload is needed", err)
}

// extraUnveils lists paths the program must be able to read for the plan to
// work: the preload object.
func (f *filterPlan) extraUnveils() []string {
	if f.preload == "" {
		return nil
	}
	return []string{f.preload}
}

// installAndExec installs the filter on the calling (locked) thread, hands
// the listener to the supervisor and execs execveat(dirfd, path, argv, env,
// flags); it returns only on
// failure, and after a failure past the install the process stays filtered.
//
// Between seccomp() and execveat only raw system calls run (nothing that
// enters the Go scheduler, allocates or grows the stack): every pointer is
// built before, the garbage collector is off so that no GC cycle stops this
// thread, and Gosched starts a fresh time slice so that the runtime has no
// reason to preempt it with a signal. No TSYNC: execveat ends the other
// threads, and only this one must carry the filter into the program.
// Residual: a signal that still lands in the window runs the Go handler
// under the filter, and its rt_sigreturn needs stdio; without stdio such a
// signal kills the shim before the exec (it fails closed).
func (f *filterPlan) installAndExec(dirfd int, path string, flags int, argv, env []string) error {
	pathp, argvp, envp, err := execPointers(path, argv, env)
	if err != nil {
		return err
	}
	notifyFD := -1
	var fdSlot *int32
	if f.sup != nil {
		notifyFD = int(f.sup.Fd())
		fdSlot = (*int32)(unsafe.Pointer(&f.oob[unix.CmsgLen(0)]))
	}
	gc := debug.SetGCPercent(-1)
	runtime.LockOSThread()
	runtime.Gosched()
	step, errno := installSendExec(&f.fprog, f.flags, notifyFD, &f.msg, fdSlot,
		dirfd, pathp, flags, &argvp[0], &envp[0], f.cookie)
	runtime.KeepAlive(f)
	runtime.KeepAlive(argvp)
	runtime.KeepAlive(envp)
	if step == stepInstall {
		debug.SetGCPercent(gc)
	}
	return fmt.Errorf("%s: %w", step, errno)
}

// execPointers converts execveat's arguments to C strings and
// NULL-terminated arrays.
func execPointers(path string, argv, env []string) (pathp *byte, argvp, envp []*byte, err error) {
	if pathp, err = unix.BytePtrFromString(path); err != nil {
		return nil, nil, nil, fmt.Errorf("exec path %q: %w", path, err)
	}
	if argvp, err = syscall.SlicePtrFromStrings(argv); err != nil {
		return nil, nil, nil, fmt.Errorf("exec argv: %w", err)
	}
	if envp, err = syscall.SlicePtrFromStrings(env); err != nil {
		return nil, nil, nil, fmt.Errorf("exec environment: %w", err)
	}
	return pathp, argvp, envp, nil
}

// The steps of installSendExec and of the forked child, named for error
// messages.
const (
	stepInstall = "install seccomp filter"
	stepHandoff = "hand the seccomp listener to the supervisor"
	stepExec    = "execveat"
)

// installSendExec is the window between the filter and the program: raw
// seccomp(), the listener hand-off (sendmsg with the cookie in the sixth
// register; MSG_NOSIGNAL so a dead supervisor raises no SIGPIPE), and
// execveat(progFD, "", argv, envp, AT_EMPTY_PATH) with the cookie. It is
// nosplit so that no stack growth (which may allocate) happens in it.
//
//go:nosplit
//go:norace
func installSendExec(fprog *unix.SockFprog, flags uintptr, notifyFD int, msg *unix.Msghdr, fdSlot *int32,
	dirfd int, path *byte, execFlags int, argv, envp **byte, cookie uint64) (string, syscall.Errno) {
	listener, _, e := syscall.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(fprog)))
	if e != 0 {
		return stepInstall, e
	}
	if notifyFD >= 0 {
		*fdSlot = int32(listener)
		n, _, e := syscall.RawSyscall6(unix.SYS_SENDMSG, uintptr(notifyFD), uintptr(unsafe.Pointer(msg)), unix.MSG_NOSIGNAL, 0, 0, uintptr(cookie))
		if e != 0 {
			return stepHandoff, e
		}
		if n != uintptr(msg.Iov.Len) {
			return stepHandoff, syscall.EIO
		}
	}
	_, _, e = syscall.RawSyscall6(unix.SYS_EXECVEAT, uintptr(dirfd), uintptr(unsafe.Pointer(path)),
		uintptr(unsafe.Pointer(argv)), uintptr(unsafe.Pointer(envp)), uintptr(execFlags), uintptr(cookie))
	return stepExec, e
}
