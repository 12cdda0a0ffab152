package plugintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// Exec calls ExecTask (script checks, lifecycle exec) with the command's
// timeout.
func (t *Task) Exec(cmd []string, timeout time.Duration) (*driverpb.ExecTaskResponse, error) {
	var resp *driverpb.ExecTaskResponse
	err := t.call("ExecTask", func(ctx context.Context, d driverpb.DriverClient) error {
		var err error
		resp, err = d.ExecTask(ctx, &driverpb.ExecTaskRequest{TaskId: t.ID(), Command: cmd, Timeout: durationpb.New(timeout)})
		return err
	}, timeout)
	return resp, err
}

// ExecRequest is one `nomad alloc exec` session.
type ExecRequest struct {
	Command []string
	Tty     bool
	// Sizes are sent as tty_size messages right after setup, in order.
	Sizes []*driverpb.ExecTaskStreamingRequest_TerminalSize
	// Stdin is forwarded in 1 KiB stdin messages; at its EOF a
	// stdin{close:true} follows. Nil sends no stdin messages at all.
	Stdin io.Reader
}

// ExecSession is what came back from an exec session.
type ExecSession struct {
	Stdout, Stderr []byte
	// StdoutClosed and StderrClosed record the driver's close markers.
	StdoutClosed, StderrClosed bool
	// Result is the exited message's result; nil if none arrived.
	Result *driverpb.ExitResult
}

// ExecStreaming runs an interactive exec session like the CLI: setup first,
// then the terminal sizes, then stdin, collecting output until the driver
// reports the exit and ends the stream. ctx bounds the whole session. An
// error status ending the stream is returned as *Error together with what
// was collected.
func (t *Task) ExecStreaming(ctx context.Context, req ExecRequest) (*ExecSession, error) {
	proc, err := t.p.current()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := proc.driver.ExecTaskStreaming(ctx)
	if err != nil {
		return nil, rpcError("ExecTaskStreaming", err)
	}
	err = stream.Send(&driverpb.ExecTaskStreamingRequest{Setup: &driverpb.ExecTaskStreamingRequest_Setup{
		TaskId: t.ID(), Command: req.Command, Tty: req.Tty,
	}})
	if err != nil {
		return nil, sendError(stream, err)
	}
	for _, size := range req.Sizes {
		if err := stream.Send(&driverpb.ExecTaskStreamingRequest{TtySize: size}); err != nil {
			return nil, sendError(stream, err)
		}
	}
	sendErr := make(chan error, 1)
	go func() { sendErr <- sendStdin(stream, req.Stdin) }()
	s, err := receiveSession(stream)
	if err != nil {
		return s, err
	}
	select {
	case err := <-sendErr:
		if err != nil && !errors.Is(err, io.EOF) {
			return s, fmt.Errorf("ExecTaskStreaming: sending stdin: %w", err)
		}
	default:
		// The command ended before reading all of stdin; the CLI stops too.
	}
	return s, nil
}

func sendStdin(stream driverpb.Driver_ExecTaskStreamingClient, stdin io.Reader) error {
	if stdin == nil {
		return nil
	}
	buf := make([]byte, 1024)
	for {
		n, err := stdin.Read(buf)
		if n > 0 {
			op := &driverpb.ExecTaskStreamingIOOperation{Data: append([]byte(nil), buf[:n]...)}
			if serr := stream.Send(&driverpb.ExecTaskStreamingRequest{Stdin: op}); serr != nil {
				return serr
			}
		}
		if errors.Is(err, io.EOF) {
			return stream.Send(&driverpb.ExecTaskStreamingRequest{Stdin: &driverpb.ExecTaskStreamingIOOperation{Close: true}})
		}
		if err != nil {
			return err
		}
	}
}

// receiveSession collects output until the stream ends.
func receiveSession(stream driverpb.Driver_ExecTaskStreamingClient) (*ExecSession, error) {
	s := &ExecSession{}
	var stdout, stderr bytes.Buffer
	defer func() { s.Stdout, s.Stderr = stdout.Bytes(), stderr.Bytes() }()
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			if s.Result == nil {
				return s, errors.New("ExecTaskStreaming: the stream ended without an exited message")
			}
			return s, nil
		}
		if err != nil {
			return s, rpcError("ExecTaskStreaming", err)
		}
		if out := m.GetStdout(); out != nil {
			stdout.Write(out.GetData())
			s.StdoutClosed = s.StdoutClosed || out.GetClose()
		}
		if out := m.GetStderr(); out != nil {
			stderr.Write(out.GetData())
			s.StderrClosed = s.StderrClosed || out.GetClose()
		}
		if m.GetExited() {
			s.Result = m.GetResult()
		}
	}
}

// sendError turns a failed Send into the stream's real status, which only
// Recv reports.
func sendError(stream driverpb.Driver_ExecTaskStreamingClient, err error) error {
	if !errors.Is(err, io.EOF) {
		return fmt.Errorf("ExecTaskStreaming: %w", err)
	}
	for {
		if _, rerr := stream.Recv(); rerr != nil {
			if errors.Is(rerr, io.EOF) {
				return errors.New("ExecTaskStreaming: the driver ended the stream before setup was sent")
			}
			return rpcError("ExecTaskStreaming", rerr)
		}
	}
}
