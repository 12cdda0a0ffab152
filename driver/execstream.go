package driver

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

// eot is what a terminal sends for ^D: end of input for a program reading
// a tty in canonical mode.
const eot = 0x04

// ExecTaskStreaming runs an interactive command (`nomad alloc exec`) in the
// task's sandbox. With a tty the command gets a pseudo-terminal as its
// controlling terminal, output is merged, and resizes are applied; without
// one it gets three pipes. Only the command itself is waited for.
func (d *Driver) ExecTaskStreaming(ctx context.Context, id string, opts nomadplugin.ExecOptions) (*nomadplugin.ExitResult, error) {
	h, err := d.task(id)
	if err != nil {
		return nil, err
	}
	if opts.Tty {
		return d.execTTY(ctx, h, opts)
	}
	return d.execPipes(ctx, h, opts)
}

// execPipes wires the command to three pipes.
func (d *Driver) execPipes(ctx context.Context, h *taskHandle, opts nomadplugin.ExecOptions) (*nomadplugin.ExitResult, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeFiles(inR, inW)
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeFiles(inR, inW, outR, outW)
		return nil, err
	}
	proc, stop, err := d.enter(h, opts.Command, execStdio{stdin: inR, stdout: outW, stderr: errW})
	closeFiles(inR, outW, errW)
	if err != nil {
		closeFiles(inW, outR, errR)
		return nil, err
	}
	defer stop()
	go feedStdin(inW, opts.Stdin, nil)
	out := startCopy([]io.Writer{writerOrDiscard(opts.Stdout), writerOrDiscard(opts.Stderr)}, []*os.File{outR, errR})
	st, err := waitOrKill(ctx, proc)
	out.finish(0)
	inW.Close()
	if err != nil {
		return nil, err
	}
	return &nomadplugin.ExitResult{ExitCode: st.Code, Signal: int(st.Signal)}, nil
}

// execTTY wires the command to a pseudo-terminal.
func (d *Driver) execTTY(ctx context.Context, h *taskHandle, opts nomadplugin.ExecOptions) (*nomadplugin.ExitResult, error) {
	master, peer, err := openPTY()
	if err != nil {
		return nil, err
	}
	proc, stop, err := d.enter(h, opts.Command, execStdio{stdin: peer, stdout: peer, stderr: peer, tty: true})
	peer.Close()
	if err != nil {
		master.Close()
		return nil, err
	}
	defer stop()
	resizeDone := make(chan struct{})
	go func() {
		defer close(resizeDone)
		for size := range opts.Resize {
			if err := resizePTY(master, size.Height, size.Width); err != nil {
				d.log.Debug("exec resize", "task_id", h.cfg.ID, "error", err)
			}
		}
	}()
	go feedStdin(master, opts.Stdin, []byte{eot})
	out := startCopy([]io.Writer{writerOrDiscard(opts.Stdout)}, []*os.File{master})
	st, err := waitOrKill(ctx, proc)
	out.finish(ttyGrace)
	if err != nil {
		return nil, err
	}
	return &nomadplugin.ExitResult{ExitCode: st.Code, Signal: int(st.Signal)}, nil
}

// feedStdin copies the user's input to the command. At the end of input a
// pipe is closed; a terminal gets atEOF (^D) instead, because the terminal
// stays open for output.
func feedStdin(dst *os.File, src io.Reader, atEOF []byte) {
	if src != nil {
		_, err := io.Copy(dst, src)
		if err != nil && !errors.Is(err, os.ErrClosed) {
			return
		}
	}
	if atEOF != nil {
		dst.Write(atEOF)
		return
	}
	dst.Close()
}

func writerOrDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func closeFiles(files ...*os.File) {
	for _, f := range files {
		f.Close()
	}
}
