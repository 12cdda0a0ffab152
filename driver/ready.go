package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// execTimeout bounds how long StartTask waits for the shim to exec the
// task: the shim only sandboxes itself (no network, no user code), which
// takes milliseconds; a start that takes longer is stuck.
const execTimeout = 10 * time.Second

// execWatch tells when the shim has exec'd the task. The shim inherits the
// write end of a pipe as its last extra file and, like every inherited fd
// above 2, marks it close-on-exec before it execs the task (the sandbox
// normalises fds); the driver's and init's copies are closed right after
// the start. So the read end reaches EOF exactly when the shim's execveat
// has closed its close-on-exec fds, or the shim died. A signal sent from
// then on meets the task program with its own signal dispositions, never
// the Go shim's, which ignores SIGUSR1 and friends.
type execWatch struct {
	r, w *os.File
}

func newExecWatch() (*execWatch, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("exec watch pipe: %w", err)
	}
	return &execWatch{r: r, w: w}, nil
}

// shimEnd is the write end, for the shim's extra files.
func (e *execWatch) shimEnd() *os.File { return e.w }

// afterStart drops the driver's copy of the write end once init holds its
// own, so that only the shim's copy is left.
func (e *execWatch) afterStart() { e.w.Close() }

// wait returns once the shim has exec'd the task or died, or ctx ended.
func (e *execWatch) wait(ctx context.Context) error {
	if deadline, ok := ctx.Deadline(); ok {
		e.r.SetReadDeadline(deadline)
	}
	buf := make([]byte, 1)
	for {
		_, err := e.r.Read(buf)
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			return fmt.Errorf("the sandbox shim did not exec the command within %v (its write end of the exec watch pipe is still open): %w", execTimeout, context.DeadlineExceeded)
		case err != nil:
			return fmt.Errorf("exec watch pipe: %w", err)
		}
	}
}

// close releases both ends.
func (e *execWatch) close() {
	e.r.Close()
	e.w.Close()
}
