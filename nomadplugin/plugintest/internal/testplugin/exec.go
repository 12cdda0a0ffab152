package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// command builds cmd to run in t's directory and environment.
func (t *task) command(ctx context.Context, argv []string) (*exec.Cmd, error) {
	if len(argv) == 0 {
		return nil, status.Error(codes.InvalidArgument, "exec needs a command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = envList(t.cfg.GetEnv())
	cmd.Dir = filepath.Join(t.cfg.GetAllocDir(), t.cfg.GetName())
	return cmd, nil
}

func (d *driver) ExecTask(ctx context.Context, req *driverpb.ExecTaskRequest) (*driverpb.ExecTaskResponse, error) {
	journal("ExecTask")
	t, err := d.lookup(req.GetTaskId())
	if err != nil {
		return nil, err
	}
	if timeout := req.GetTimeout().AsDuration(); timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd, err := t.command(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "exec %q: %v", req.GetCommand()[0], err)
	}
	_ = cmd.Wait()
	return &driverpb.ExecTaskResponse{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Result: exitOf(cmd)}, nil
}

func exitOf(cmd *exec.Cmd) *driverpb.ExitResult {
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return &driverpb.ExitResult{ExitCode: -1, Signal: int32(ws.Signal())}
	}
	return &driverpb.ExitResult{ExitCode: int32(ws.ExitStatus())}
}

// ExecTaskStreaming supports sessions without a tty: setup first, then
// stdin data and close; output is sent in 1 KiB chunks, each stream ended by
// a close marker, then the exit.
func (d *driver) ExecTaskStreaming(stream driverpb.Driver_ExecTaskStreamingServer) error {
	journal("ExecTaskStreaming")
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	setup := first.GetSetup()
	if setup == nil {
		return status.Error(codes.InvalidArgument, "the first exec message must carry setup")
	}
	if setup.GetTty() {
		return status.Error(codes.InvalidArgument, "testplugin runs exec sessions without a tty only")
	}
	t, err := d.lookup(setup.GetTaskId())
	if err != nil {
		return err
	}
	cmd, err := t.command(stream.Context(), setup.GetCommand())
	if err != nil {
		return err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return status.Errorf(codes.InvalidArgument, "exec %q: %v", setup.GetCommand()[0], err)
	}
	go forwardStdin(stream, stdin)
	s := &lockedSender{stream: stream}
	var wg sync.WaitGroup
	wg.Add(2)
	go s.copyOut(&wg, stdout, func(op *driverpb.ExecTaskStreamingIOOperation) *driverpb.ExecTaskStreamingResponse {
		return &driverpb.ExecTaskStreamingResponse{Stdout: op}
	})
	go s.copyOut(&wg, stderr, func(op *driverpb.ExecTaskStreamingIOOperation) *driverpb.ExecTaskStreamingResponse {
		return &driverpb.ExecTaskStreamingResponse{Stderr: op}
	})
	wg.Wait()
	_ = cmd.Wait()
	return s.send(&driverpb.ExecTaskStreamingResponse{Exited: true, Result: exitOf(cmd)})
}

// forwardStdin copies stdin messages to the process; heartbeats and
// tty_size are ignored.
func forwardStdin(stream driverpb.Driver_ExecTaskStreamingServer, stdin io.WriteCloser) {
	defer stdin.Close()
	for {
		req, err := stream.Recv()
		if err != nil {
			return
		}
		in := req.GetStdin()
		if in == nil {
			continue
		}
		if len(in.GetData()) > 0 {
			if _, err := stdin.Write(in.GetData()); err != nil {
				return
			}
		}
		if in.GetClose() {
			return
		}
	}
}

// lockedSender serialises Send, which gRPC streams do not allow
// concurrently.
type lockedSender struct {
	mu     sync.Mutex
	stream driverpb.Driver_ExecTaskStreamingServer
}

func (s *lockedSender) send(m *driverpb.ExecTaskStreamingResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stream.Send(m)
}

func (s *lockedSender) copyOut(wg *sync.WaitGroup, r io.Reader, wrap func(*driverpb.ExecTaskStreamingIOOperation) *driverpb.ExecTaskStreamingResponse) {
	defer wg.Done()
	buf := make([]byte, 1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			data := append([]byte(nil), buf[:n]...)
			if s.send(wrap(&driverpb.ExecTaskStreamingIOOperation{Data: data})) != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				_ = s.send(wrap(&driverpb.ExecTaskStreamingIOOperation{Data: []byte(err.Error())}))
			}
			_ = s.send(wrap(&driverpb.ExecTaskStreamingIOOperation{Close: true}))
			return
		}
	}
}
