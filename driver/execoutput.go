package driver

import (
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ttyGrace is how long an exec with a terminal waits, after its command
// exited, for the terminal to hang up. Output written to a terminal reaches
// the master side asynchronously (the kernel's flip-buffer work), so the
// last lines may still be in flight when the command is gone. Processes it
// left behind normally die of the SIGHUP the session leader's exit sends;
// one that ignores it must not hold the session open.
const ttyGrace = 2 * time.Second

// outputCopy forwards a command's output fds to the user while it runs.
// Only the command itself is waited for: whatever processes it leaves
// behind (`cmd &`) may keep the pipes open and write later, and that output
// is not part of the session.
type outputCopy struct {
	src  []*os.File
	dst  []io.Writer
	done chan struct{}
}

// startCopy copies each src (a pollable pipe or terminal master) to its dst
// until EOF or until finish stops it.
func startCopy(dst []io.Writer, src []*os.File) *outputCopy {
	c := &outputCopy{src: src, dst: dst, done: make(chan struct{})}
	var wg sync.WaitGroup
	for i := range src {
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(dst[i], src[i])
		}()
	}
	go func() {
		wg.Wait()
		close(c.done)
	}()
	return c
}

// finish ends the copy after the command has exited and closes the
// sources. It waits up to grace for every source to reach EOF; then it stops
// the copies at their next read and takes what is buffered at that moment
// without waiting for more. For a pipe a grace of 0 is exact: everything
// the command wrote was in the pipe before it exited.
func (c *outputCopy) finish(grace time.Duration) {
	if grace > 0 {
		select {
		case <-c.done:
		case <-time.After(grace):
		}
	}
	for _, f := range c.src {
		if f.SetReadDeadline(time.Now()) != nil {
			// Not pollable: closing is the only way to end the read.
			f.Close()
		}
	}
	<-c.done
	for i, f := range c.src {
		if f.SetReadDeadline(time.Time{}) == nil {
			readBuffered(f, c.dst[i])
		}
		f.Close()
	}
}

// readBuffered copies what f holds right now to w, without blocking: f is
// non-blocking, so a read of an empty pipe or terminal fails with EAGAIN.
func readBuffered(f *os.File, w io.Writer) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 32<<10)
	rc.Read(func(fd uintptr) bool {
		for {
			n, err := unix.Read(int(fd), buf)
			if n <= 0 || err != nil {
				return true
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return true
			}
		}
	})
}
