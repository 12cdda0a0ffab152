package nsexec

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// forkOnThread fork-execs argv from a fresh OS thread on which join ran
// first, and returns the child's pid. join may change the thread's
// namespaces (setns): the goroutine never unlocks its thread, so the Go
// runtime terminates the thread when the goroutine returns and no other
// goroutine ever runs in those namespaces. A nil join forks from the calling
// thread. The fork must come from that same
// thread because namespaces set with setns belong to the calling thread, and
// a pid namespace set with setns applies only to children.
func forkOnThread(join func() error, argv0 string, argv []string, attr *syscall.ProcAttr) (int, error) {
	if join == nil {
		return syscall.ForkExec(argv0, argv, attr)
	}
	type result struct {
		pid int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := join(); err != nil {
			done <- result{err: err}
			return
		}
		pid, err := syscall.ForkExec(argv0, argv, attr)
		done <- result{pid, err}
	}()
	r := <-done
	return r.pid, r.err
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
