package nomadplugin

import (
	"context"
	"io"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// execChunk bounds the data carried by one output message, well below
// gRPC's default 4 MiB message limit.
const execChunk = 32 << 10

// ExecTaskStreaming runs one `nomad alloc exec` session. The first request
// must carry setup; later ones carry stdin data, stdin close (EOF) or a
// terminal size, and requests with none of them are heartbeats. When the
// command ends, the server closes stdout and stderr and sends exited with
// the result, then ends the stream with OK.
func (s *driverServer) ExecTaskStreaming(stream pb.Driver_ExecTaskStreamingServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	setup := first.GetSetup()
	if setup == nil {
		return status.Error(codes.InvalidArgument, "first ExecTaskStreaming message must carry setup")
	}
	if len(setup.GetCommand()) == 0 {
		return status.Error(codes.InvalidArgument, "exec setup needs a command")
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()

	out := &execSender{stream: stream}
	stdinR, stdinW := io.Pipe()
	defer stdinR.Close()
	resize := make(chan TerminalSize, 1)
	go receiveExecInput(stream, stdinW, resize)

	res, err := s.d.ExecTaskStreaming(ctx, setup.GetTaskId(), ExecOptions{
		Command: setup.GetCommand(),
		Tty:     setup.GetTty(),
		Stdin:   stdinR,
		Stdout:  out.writer(false),
		Stderr:  out.writer(true),
		Resize:  resize,
	})
	if err != nil {
		return statusError(err)
	}
	if res == nil {
		res = &ExitResult{}
	}
	return out.finish(*res)
}

// receiveExecInput feeds client messages to the command until the client
// stops sending (or the handler returns, which ends the stream).
func receiveExecInput(stream pb.Driver_ExecTaskStreamingServer, stdin *io.PipeWriter, resize chan TerminalSize) {
	defer close(resize)
	defer stdin.Close()
	for {
		msg, err := stream.Recv()
		if err != nil {
			return
		}
		if in := msg.GetStdin(); in != nil {
			if len(in.GetData()) > 0 {
				if _, err := stdin.Write(in.GetData()); err != nil {
					return
				}
			}
			if in.GetClose() {
				stdin.Close()
			}
		}
		if ts := msg.GetTtySize(); ts != nil {
			latest(resize, TerminalSize{Height: int(ts.GetHeight()), Width: int(ts.GetWidth())})
		}
	}
}

// latest replaces any unconsumed size with v; this goroutine is the only
// sender, so the send cannot block.
func latest(ch chan TerminalSize, v TerminalSize) {
	select {
	case <-ch:
	default:
	}
	ch <- v
}

// execSender serialises output messages: gRPC streams allow one sender at a
// time, and stdout and stderr are written concurrently.
type execSender struct {
	mu     sync.Mutex
	stream pb.Driver_ExecTaskStreamingServer
}

func (s *execSender) send(msg *pb.ExecTaskStreamingResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stream.Send(msg)
}

func (s *execSender) writer(stderr bool) io.Writer {
	return execWriter{s: s, stderr: stderr}
}

func (s *execSender) finish(res ExitResult) error {
	for _, stderr := range []bool{false, true} {
		if err := s.send(ioMessage(stderr, &pb.ExecTaskStreamingIOOperation{Close: true})); err != nil {
			return err
		}
	}
	return s.send(&pb.ExecTaskStreamingResponse{Exited: true, Result: exitResultToProto(res)})
}

func ioMessage(stderr bool, op *pb.ExecTaskStreamingIOOperation) *pb.ExecTaskStreamingResponse {
	if stderr {
		return &pb.ExecTaskStreamingResponse{Stderr: op}
	}
	return &pb.ExecTaskStreamingResponse{Stdout: op}
}

// execWriter sends what the command writes to one of its outputs.
type execWriter struct {
	s      *execSender
	stderr bool
}

func (w execWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), execChunk)
		data := append([]byte(nil), p[:n]...)
		if err := w.s.send(ioMessage(w.stderr, &pb.ExecTaskStreamingIOOperation{Data: data})); err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}
