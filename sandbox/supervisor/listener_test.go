package supervisor

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

// filteredThread is an OS thread of the test process that carries a seccomp
// filter routing socket(2) to a listener, like a task's: run executes
// functions on it. The thread ends (and with it the filter's only user)
// when the test does.
type filteredThread struct {
	listener *os.File
	calls    chan func()
	endOnce  sync.Once
}

// socketFilter routes socket(2) to the listener and allows everything else.
var socketFilter = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_SOCKET},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
}

// socketFilterConfig describes socketFilter as a shim would: a stdio task
// whose denials are reported.
var socketFilterConfig = Config{
	Arch:    promises.NativeArch(),
	Set:     promises.Stdio,
	Options: promises.Options{Arch: promises.NativeArch(), Penalty: promises.PenaltyNotify},
}

func newFilteredThread(t *testing.T) *filteredThread {
	t.Helper()
	ft := &filteredThread{calls: make(chan func())}
	installed := make(chan error, 1)
	offMainThread(func() {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			installed <- err
			return
		}
		prog := unix.SockFprog{Len: uint16(len(socketFilter)), Filter: &socketFilter[0]}
		fd, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&prog)))
		if errno != 0 {
			installed <- errno
			return
		}
		ft.listener = os.NewFile(fd, "listener")
		installed <- nil
		for fn := range ft.calls {
			fn()
		}
	})
	if err := <-installed; err != nil {
		t.Skipf("cannot install a seccomp filter with a listener: %v", err)
	}
	t.Cleanup(func() { ft.end(); ft.listener.Close() })
	return ft
}

// offMainThread runs fn in a new goroutine locked to a thread that is not
// the main one and ends with it: the runtime cannot end the main thread,
// which would keep the filter (and its user count) for good.
func offMainThread(fn func()) {
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			fn()
			return
		}
		inner := make(chan struct{})
		go func() {
			defer close(inner)
			runtime.LockOSThread()
			fn()
		}()
		<-inner
		runtime.UnlockOSThread()
	}()
}

// end lets the thread exit, which drops the filter's last user.
func (ft *filteredThread) end() {
	ft.endOnce.Do(func() { close(ft.calls) })
}

// socket calls socket(2) on the filtered thread and returns its errno.
func (ft *filteredThread) socket() error {
	done := make(chan error)
	ft.calls <- func() {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		done <- err
	}
	return <-done
}

// reports collects violations.
type reports struct {
	mu   sync.Mutex
	list []Violation
}

func (r *reports) add(v Violation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, v)
}

func (r *reports) syscalls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var names []string
	for _, v := range r.list {
		names = append(names, v.Syscall)
	}
	return names
}

// TestServeListenerResumes: a listener served by ServeListener (as after a
// driver restart) answers denials with EPERM, not the ENOSYS of a listener
// nobody serves, and reports each call once; it returns nil once the
// filter has no user left.
func TestServeListenerResumes(t *testing.T) {
	ft := newFilteredThread(t)
	var got reports
	cfg := socketFilterConfig
	cfg.Report = got.add
	done := make(chan error, 1)
	go func() { done <- ServeListener(t.Context(), ft.listener, cfg) }()
	for range 2 {
		if err := ft.socket(); err != unix.EPERM {
			t.Fatalf("socket under a served listener = %v, want EPERM", err)
		}
	}
	ft.end()
	if err := waitServe(t, done); err != nil {
		t.Errorf("ServeListener after the task ended = %v, want nil", err)
	}
	if names := got.syscalls(); len(names) != 1 || names[0] != "socket" {
		t.Errorf("violations %v, want one for socket", names)
	}
	if _, err := unix.FcntlInt(ft.listener.Fd(), unix.F_GETFD, 0); err != nil {
		t.Errorf("ServeListener closed the caller's listener: %v", err)
	}
}

// TestServeListenerRejects: an fd that is no listener, or a filter
// description no shim writes, is refused before anything is served.
func TestServeListenerRejects(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	badArch := socketFilterConfig
	badArch.Arch = 7
	badPenalty := socketFilterConfig
	badPenalty.Options.Penalty = 9
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"pipe", socketFilterConfig, "not a seccomp user-notification listener"},
		{"arch", badArch, "unknown architecture 7"},
		{"penalty", badPenalty, "unknown penalty 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ServeListener(t.Context(), r, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ServeListener = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestServeOnHandoff: OnHandoff sees the filter the shim described, the
// sender's pid and its own working copy of the listener, before the first
// notification is answered; the copy outlives Serve.
func TestServeOnHandoff(t *testing.T) {
	ft := newFilteredThread(t)
	sup, shim := socketPair(t)
	if err := unix.SetsockoptInt(int(shim.Fd()), unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		t.Fatal(err)
	}
	if err := unix.Sendmsg(int(shim.Fd()), HandoffPayload(socketFilterConfig), unix.UnixRights(int(ft.listener.Fd())), nil, 0); err != nil {
		t.Fatal(err)
	}
	handoffs := make(chan Handoff, 1)
	var got reports
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, sup, Config{Report: got.add, OnHandoff: func(h Handoff) { handoffs <- h }})
	}()
	h := <-handoffs
	if h.Listener == nil {
		t.Fatal("OnHandoff got no listener")
	}
	defer h.Listener.Close()
	if h.PID != os.Getpid() || h.Filter.Set != socketFilterConfig.Set || h.Filter.Options != socketFilterConfig.Options {
		t.Errorf("hand-off pid %d filter %+v, want pid %d filter %+v", h.PID, h.Filter, os.Getpid(), socketFilterConfig)
	}
	if err := ft.socket(); err != unix.EPERM {
		t.Fatalf("socket under Serve = %v, want EPERM", err)
	}
	cancel()
	if err := waitServe(t, done); !errors.Is(err, context.Canceled) {
		t.Errorf("Serve after cancel = %v, want context.Canceled", err)
	}
	if !isListener(int(h.Listener.Fd())) {
		t.Error("the hand-off's listener copy did not outlive Serve")
	}
	if names := got.syscalls(); len(names) != 1 || names[0] != "socket" {
		t.Errorf("violations %v, want one for socket", names)
	}
}
