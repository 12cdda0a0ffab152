package nomadplugin

import (
	"context"
	"errors"
	"fmt"
	"io"

	pb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// ExecTaskStreaming runs an interactive exec session like `nomad alloc exec`:
// setup first, then opts.Stdin as stdin messages ending with a close,
// opts.Resize as tty_size messages; output goes to opts.Stdout/Stderr until
// the plugin reports the exit.
func (c *Client) ExecTaskStreaming(ctx context.Context, id string, opts ExecOptions) (*ExitResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.driver.ExecTaskStreaming(ctx)
	if err != nil {
		return nil, errorFromStatus(err)
	}
	setup := &pb.ExecTaskStreamingRequest{Setup: &pb.ExecTaskStreamingRequest_Setup{TaskId: id, Command: opts.Command, Tty: opts.Tty}}
	if err := stream.Send(setup); err != nil {
		return nil, errorFromStatus(err)
	}
	in := make(chan *pb.ExecTaskStreamingRequest)
	go sendStdin(ctx, opts.Stdin, in)
	go sendResizes(ctx, opts.Resize, in)
	go func() {
		for {
			select {
			case msg := <-in:
				if stream.Send(msg) != nil {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return receiveExecOutput(stream, opts)
}

func receiveExecOutput(stream pb.Driver_ExecTaskStreamingClient, opts ExecOptions) (*ExitResult, error) {
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("exec stream ended without an exit result")
		}
		if err != nil {
			return nil, errorFromStatus(err)
		}
		if err := writeOutput(opts.Stdout, msg.GetStdout()); err != nil {
			return nil, fmt.Errorf("exec stdout: %w", err)
		}
		if err := writeOutput(opts.Stderr, msg.GetStderr()); err != nil {
			return nil, fmt.Errorf("exec stderr: %w", err)
		}
		if msg.GetExited() {
			res := exitResultFromProto(msg.GetResult())
			return &res, nil
		}
	}
}

func writeOutput(w io.Writer, op *pb.ExecTaskStreamingIOOperation) error {
	if w == nil || len(op.GetData()) == 0 {
		return nil
	}
	_, err := w.Write(op.GetData())
	return err
}

// sendStdin forwards r as stdin messages and a final close on EOF. A nil r
// is closed at once.
func sendStdin(ctx context.Context, r io.Reader, out chan<- *pb.ExecTaskStreamingRequest) {
	send := func(op *pb.ExecTaskStreamingIOOperation) bool {
		select {
		case out <- &pb.ExecTaskStreamingRequest{Stdin: op}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if r == nil {
		send(&pb.ExecTaskStreamingIOOperation{Close: true})
		return
	}
	buf := make([]byte, execChunk)
	for {
		n, err := r.Read(buf)
		if n > 0 && !send(&pb.ExecTaskStreamingIOOperation{Data: append([]byte(nil), buf[:n]...)}) {
			return
		}
		if err != nil {
			send(&pb.ExecTaskStreamingIOOperation{Close: true})
			return
		}
	}
}

func sendResizes(ctx context.Context, sizes <-chan TerminalSize, out chan<- *pb.ExecTaskStreamingRequest) {
	for {
		select {
		case ts, ok := <-sizes:
			if !ok {
				return
			}
			msg := &pb.ExecTaskStreamingRequest{TtySize: &pb.ExecTaskStreamingRequest_TerminalSize{Height: int32(ts.Height), Width: int32(ts.Width)}}
			select {
			case out <- msg:
			case <-ctx.Done():
				return
			}
		case <-ctx.Done():
			return
		}
	}
}
