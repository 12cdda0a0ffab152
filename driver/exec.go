package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nsexec"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

// execStdio are the command's standard fds, in the driver.
type execStdio struct {
	stdin, stdout, stderr *os.File
	tty                   bool
}

// enter starts cmd in the task's namespaces and cgroup, sandboxed with the
// task's own promises and unveils and run as the task's user. The returned
// stop ends the command's supervisor.
func (d *Driver) enter(h *taskHandle, cmd []string, stdio execStdio) (proc *nsexec.Process, stop func(), err error) {
	if len(cmd) == 0 || cmd[0] == "" {
		return nil, nil, errors.New("exec: empty command")
	}
	if h.exited() || h.proc == nil {
		return nil, nil, fmt.Errorf("exec in task %s: the task is not running", h.cfg.ID)
	}
	spec := h.state.Spec
	spec.Command, spec.Args = cmd[0], cmd[1:]
	sup, err := d.superviseFor(func(v supervisor.Violation) {
		d.taskEvent(h, "exec: "+violationMessage(v), map[string]string{"syscall": v.Syscall})
	})
	if err != nil {
		return nil, nil, err
	}
	sbSpec := sandbox.Spec{
		Policy: spec.sandboxPolicy(h.state.User, !h.state.Rootless, sup.shimFD()),
		Argv:   cmd,
		Env:    environ(h.cfg.Env),
	}
	specs, err := newSpecPipe(&sbSpec)
	if err != nil {
		sup.stop()
		return nil, nil, fmt.Errorf("exec: %w", err)
	}
	defer specs.close()
	ec := &nsexec.ExecConfig{
		Shim: nsexec.Shim{
			Self: d.self, Args: []string{sandbox.ShimArg},
			Stdin: stdio.stdin, Stdout: stdio.stdout, Stderr: stdio.stderr,
			ExtraFiles: sup.extraFiles(specs.r),
		},
		TTY: stdio.tty,
	}
	if h.group != nil {
		if dir, derr := h.group.OpenDir(); derr == nil {
			ec.Cgroup = dir
			defer dir.Close()
		}
	}
	proc, err = h.proc.Enter(ec)
	sup.afterStart()
	if err == nil && ec.Cgroup == nil && h.group != nil {
		// cgroup v1: place the command before it can read its spec
		// and therefore before it can fork.
		err = h.group.AddProc(proc.Pid)
		if err != nil {
			proc.Kill()
		}
	}
	if err != nil {
		sup.stop()
		return nil, nil, fmt.Errorf("exec in task %s: %w", h.cfg.ID, err)
	}
	specs.send()
	return proc, sup.stop, nil
}

// ExecTask runs cmd in the task's sandbox and returns its output, killing
// it after timeout (0: no limit).
func (d *Driver) ExecTask(id string, cmd []string, timeout time.Duration) (*nomadplugin.ExecResult, error) {
	h, err := d.task(id)
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	proc, stop, err := d.enter(h, cmd, execStdio{stdout: outW, stderr: errW})
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, err
	}
	defer stop()
	var stdout, stderr bytes.Buffer
	out := startCopy([]io.Writer{&stdout, &stderr}, []*os.File{outR, errR})
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	st, err := waitOrKill(ctx, proc)
	out.finish(0)
	if err != nil {
		return nil, fmt.Errorf("exec in task %s: %w", id, err)
	}
	return &nomadplugin.ExecResult{
		Stdout: stdout.Bytes(),
		Stderr: stderr.Bytes(),
		Exit:   nomadplugin.ExitResult{ExitCode: st.Code, Signal: int(st.Signal)},
	}, nil
}

// waitOrKill waits for proc; when ctx ends first it kills proc and reports
// the context's error along with the status.
func waitOrKill(ctx context.Context, proc *nsexec.Process) (nsexec.ExitStatus, error) {
	defer proc.Close()
	st, err := proc.Wait(ctx)
	if err == nil {
		return st, nil
	}
	if ctx.Err() == nil {
		return st, err
	}
	proc.Kill()
	st, _ = proc.Wait(context.Background())
	return st, fmt.Errorf("command killed: %w", ctx.Err())
}
