package nsexec

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// forkOnThread fork-execs argv from a spare OS thread on which prepare ran
// first, and returns the child's pid. prepare may change what belongs to
// the thread and what the child inherits from it, which is why the fork
// must come from that same thread: namespaces set with setns (a pid
// namespace set so applies only to children) and the bounding set. A nil
// prepare forks from the calling thread.
func forkOnThread(prepare func() error, argv0 string, argv []string, attr *syscall.ProcAttr) (int, error) {
	if prepare == nil {
		return syscall.ForkExec(argv0, argv, attr)
	}
	var pid int
	var err error
	onSpareThread(func() {
		if err = prepare(); err == nil {
			pid, err = syscall.ForkExec(argv0, argv, attr)
		}
	})
	return pid, err
}

// onSpareThread runs fn on an OS thread that is thrown away afterwards: the
// goroutine never unlocks its thread, so the runtime terminates the thread
// when the goroutine returns and no other goroutine ever runs with what fn
// changed about it (namespaces, bounding set). The main thread is never used: the runtime
// cannot terminate it (it would stay parked in fn's namespaces), and
// /proc/self/ns and /proc/self/mountinfo describe the main thread, so the
// driver would seem to live in the task's namespaces.
func onSpareThread(fn func()) {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			fn()
			close(done)
			return
		}
		// Landed on the main thread: hold it, so the inner goroutine
		// lands elsewhere, then give it back untouched.
		inner := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			fn()
			close(inner)
		}()
		<-inner
		runtime.UnlockOSThread()
		close(done)
	}()
	<-done
}

// stdioFiles returns the shim's fds 0-2 with /dev/null for nil entries, and
// the /dev/null files it opened (the caller closes them once the child holds
// its copies).
func (s *Shim) stdioFiles() (fds []uintptr, opened []*os.File, err error) {
	for _, f := range []*os.File{s.Stdin, s.Stdout, s.Stderr} {
		if f == nil {
			if f, err = os.OpenFile(os.DevNull, os.O_RDWR, 0); err != nil {
				closeAll(opened)
				return nil, nil, fmt.Errorf("nsexec: open %s for unset stdio: %w", os.DevNull, err)
			}
			opened = append(opened, f)
		}
		fds = append(fds, f.Fd())
	}
	return fds, opened, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

func fdsOf(files []*os.File) []uintptr {
	fds := make([]uintptr, len(files))
	for i, f := range files {
		fds[i] = f.Fd()
	}
	return fds
}
