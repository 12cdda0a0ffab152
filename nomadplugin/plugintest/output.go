package plugintest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Output is one log FIFO of a task and what was read from it, like Nomad's
// logmon: the FIFO is opened for reading (blocking until the driver opens
// it for writing) and read until EOF, then re-opened for the next writer.
type Output struct {
	path    string
	mu      sync.Mutex
	data    strings.Builder
	changed chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// newOutput creates the FIFO (mode 0600, as logmon does) and starts its
// reader.
func newOutput(path string) (*Output, error) {
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("mkfifo %s: %w", path, err)
	}
	o := &Output{path: path, changed: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go o.read()
	return o, nil
}

func (o *Output) read() {
	defer close(o.done)
	buf := make([]byte, 32*1024)
	for {
		f, err := os.OpenFile(o.path, os.O_RDONLY, 0)
		if err != nil {
			return
		}
		for {
			n, err := f.Read(buf)
			if n > 0 {
				o.append(buf[:n])
			}
			if err != nil {
				break
			}
		}
		f.Close()
		select {
		case <-o.stop:
			return
		default:
		}
	}
}

func (o *Output) append(b []byte) {
	o.mu.Lock()
	o.data.Write(b)
	close(o.changed)
	o.changed = make(chan struct{})
	o.mu.Unlock()
}

// Path is the FIFO's path, as sent in stdout_path / stderr_path.
func (o *Output) Path() string { return o.path }

// String is everything read so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.data.String()
}

// Wait waits up to timeout until the output contains substr.
func (o *Output) Wait(substr string, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		found, changed := strings.Contains(o.data.String(), substr), o.changed
		o.mu.Unlock()
		if found {
			return nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return fmt.Errorf("%s: %q not seen within %v; got %q", o.path, substr, timeout, o.String())
		}
	}
}

// close stops the reader. A reader blocked in open is released by briefly
// opening the FIFO for writing ourselves; one blocked in read gets EOF once
// the last writer is gone. A writer that never goes away (a leaked task)
// leaves the reader behind after a grace period rather than hanging cleanup.
func (o *Output) close() {
	close(o.stop)
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if f, err := os.OpenFile(o.path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		} else if !errors.Is(err, syscall.ENXIO) {
			return
		}
		select {
		case <-o.done:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}
