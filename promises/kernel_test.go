package promises

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// childEnv selects, in a re-executed test binary, the kernel case to run.
const childEnv = "PROMISES_KERNEL_CASE"

// kernelCase installs a filter on the calling thread and makes one raw call;
// the child exits with the call's errno (0 on success), or dies of a signal.
type kernelCase struct {
	set     string
	penalty Penalty
	// prepare, when set, runs on the test thread before the filter goes on.
	prepare func()
	call    func() (uintptr, unix.Errno)
	// want is the errno the call must fail with, 0 for success.
	want unix.Errno
	// signal, when nonzero, is the signal the child must die of instead.
	signal syscall.Signal
}

func rawCall(nr uintptr, args ...uintptr) func() (uintptr, unix.Errno) {
	var a [6]uintptr
	copy(a[:], args)
	return func() (uintptr, unix.Errno) {
		r, _, e := unix.RawSyscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
		return r, e
	}
}

// kernelCases is what the real kernel must do with compiled filters.
var kernelCases = map[string]kernelCase{
	"getppid allowed":      {set: "stdio", call: rawCall(unix.SYS_GETPPID)},
	"fcntl F_GETFL":        {set: "stdio", call: rawCall(unix.SYS_FCNTL, 0, unix.F_GETFL)},
	"fcntl F_SETOWN":       {set: "stdio", call: rawCall(unix.SYS_FCNTL, 0, unix.F_SETOWN, 0), want: unix.EPERM},
	"socket denied":        {set: "stdio", call: rawCall(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0), want: unix.EPERM},
	"socket inet":          {set: "stdio inet", call: rawCall(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)},
	"socket mptcp":         {set: "stdio inet", call: rawCall(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 262), want: unix.EPERM},
	"clone3 enosys":        {set: "stdio proc", call: rawCall(unix.SYS_CLONE3, 0, 0), want: unix.ENOSYS},
	"openat2 enosys":       {set: "stdio rpath", call: rawCall(unix.SYS_OPENAT2, 0, 0, 0, 0), want: unix.ENOSYS},
	"socket kill":          {set: "stdio", penalty: PenaltyKill, call: rawCall(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0), signal: syscall.SIGSYS},
	"socket no supervisor": {set: "stdio", penalty: PenaltyNotify, call: rawCall(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0), want: unix.ENOSYS},
	"kill self":            {set: "stdio", call: func() (uintptr, unix.Errno) { return rawCall(unix.SYS_KILL, uintptr(os.Getpid()), 0)() }},
	"kill parent":          {set: "stdio", call: func() (uintptr, unix.Errno) { return rawCall(unix.SYS_KILL, uintptr(os.Getppid()), 0)() }, want: unix.EPERM},
	// No promise at all: the Go runtime's SIGURG handler must still return.
	"signal handler returns": {set: "", prepare: startSignaller, call: spinUnderSignals},
}

// signalRun coordinates the "signal handler returns" case: the filtered
// thread spins while another thread sends it SIGURG.
var signalRun struct {
	tid     int
	started atomic.Bool // the filter is on; signals may come
	done    atomic.Bool // every signal has been sent and handled
}

// startSignaller starts, before the filter goes on (starting a thread takes
// calls the filter would deny), a goroutine on another thread that sends
// SIGURG, the Go runtime's preemption signal, to this thread 50 times once
// the filter is on. The child runs without asynchronous preemption (see
// runKernelCase), so the runtime only handles them and returns.
func startSignaller() {
	runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0)))
	signalRun.tid = unix.Gettid()
	go func() {
		for !signalRun.started.Load() {
			runtime.Gosched()
		}
		for range 50 {
			if err := unix.Tgkill(os.Getpid(), signalRun.tid, unix.SIGURG); err != nil {
				unix.Exit(104)
			}
		}
		time.Sleep(time.Millisecond)
		signalRun.done.Store(true)
	}()
}

// spinUnderSignals busy-waits, making no call, until the signaller is done;
// each handler run ends in rt_sigreturn.
func spinUnderSignals() (uintptr, unix.Errno) {
	signalRun.started.Store(true)
	for !signalRun.done.Load() {
	}
	return 0, 0
}

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		runKernelChild(name)
	}
	os.Exit(m.Run())
}

// runKernelChild runs one kernel case and exits with its errno.
func runKernelChild(name string) {
	c, ok := childCases()[name]
	if !ok {
		unix.Exit(100)
	}
	runtime.LockOSThread()
	set, err := Parse(c.set)
	if err != nil {
		unix.Exit(101)
	}
	prog, err := Compile(set, Options{Arch: NativeArch(), Penalty: c.penalty, SelfPID: uint32(os.Getpid())})
	if err != nil {
		unix.Exit(102)
	}
	if c.prepare != nil {
		c.prepare()
	}
	if err := installFilter(prog); err != nil {
		unix.Exit(103)
	}
	_, errno := c.call()
	unix.Exit(int(errno))
}

// childCases returns the kernel cases, including per-architecture ones.
func childCases() map[string]kernelCase {
	cases := make(map[string]kernelCase, len(kernelCases))
	for name, c := range kernelCases {
		cases[name] = c
	}
	for name, c := range archKernelCases {
		cases[name] = c
	}
	return cases
}

// installFilter installs p on the calling thread only.
func installFilter(p Program) error {
	filter := make([]unix.SockFilter, len(p))
	for i, r := range p {
		filter[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	_, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(filter)
	if e != 0 {
		return e
	}
	return nil
}

// runKernelCase re-executes the test binary for case name and returns how
// the child ended.
func runKernelCase(t *testing.T, name string) *os.ProcessState {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// Without asynchronous preemption the runtime never interrupts the
	// filtered thread to reschedule it, which on a loaded machine (a spin
	// longer than sysmon's 10 ms) would make it call futex and friends
	// that a case's filter denies, crashing the child (exit status 2).
	// Signals sent by a case are still delivered and handled.
	cmd.Env = append(os.Environ(), childEnv+"="+name, "GODEBUG=asyncpreemptoff=1")
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s: %v", name, err)
	}
	return cmd.ProcessState
}

func TestKernelEnforcement(t *testing.T) {
	for name, c := range childCases() {
		t.Run(name, func(t *testing.T) {
			state := runKernelCase(t, name)
			status := state.Sys().(syscall.WaitStatus)
			switch {
			case c.signal != 0:
				if !status.Signaled() || status.Signal() != c.signal {
					t.Errorf("child ended with %v, want signal %v", state, c.signal)
				}
			case status.Signaled():
				t.Errorf("child died of %v, want errno %d", status.Signal(), int(c.want))
			case status.ExitStatus() >= 100:
				t.Fatalf("child could not set up the filter (status %d)", status.ExitStatus())
			case unix.Errno(status.ExitStatus()) != c.want:
				t.Errorf("call failed with errno %d (%v), want %d (%v)", status.ExitStatus(), unix.Errno(status.ExitStatus()), int(c.want), c.want)
			}
		})
	}
}
