package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

// defaultKillSignal is sent by StopTask when the job sets no kill_signal.
const defaultKillSignal = unix.SIGTERM

// killWait bounds how long StopTask waits for the task to vanish after
// SIGKILL: the kernel tears a pid namespace down promptly, but a process
// stuck in uninterruptible sleep (D state) can delay it.
const killWait = 30 * time.Second

// WaitTask delivers the task's exit result once it has ended.
func (d *Driver) WaitTask(ctx context.Context, id string) (<-chan nomadplugin.ExitResult, error) {
	h, err := d.task(id)
	if err != nil {
		return nil, err
	}
	ch := make(chan nomadplugin.ExitResult, 1)
	go func() {
		defer close(ch)
		select {
		case <-h.done:
			ch <- h.exit
		case <-ctx.Done():
		}
	}()
	return ch, nil
}

// StopTask sends the kill signal (default SIGTERM) through init to the task,
// waits up to timeout for it to exit, then kills every process of the task
// and returns once they are all gone.
func (d *Driver) StopTask(id string, timeout time.Duration, signal string) error {
	h, err := d.task(id)
	if err != nil {
		return err
	}
	sig := defaultKillSignal
	if signal != "" {
		if sig, err = parseSignal(signal); err != nil {
			return fmt.Errorf("stop task %s: kill_signal: %w", id, err)
		}
	}
	if err := h.signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop task %s: %w", id, err)
	}
	select {
	case <-h.done:
		return d.reapGroup(h)
	case <-time.After(timeout):
	}
	return d.kill(h)
}

// kill SIGKILLs every process of the task: the whole cgroup when it has one
// (which also catches processes that left a host pid namespace), and init,
// whose death tears down a private pid namespace. A task in the host's pid
// namespace without a cgroup would outlive init, so there init's
// descendants are killed first: init is their subreaper, so orphans stay in
// its tree. It returns once the task has ended.
func (d *Driver) kill(h *taskHandle) error {
	ctx, cancel := context.WithTimeout(context.Background(), killWait)
	defer cancel()
	var errs []error
	switch {
	case h.group != nil:
		if err := h.group.Kill(ctx); err != nil {
			errs = append(errs, fmt.Errorf("kill cgroup: %w", err))
		}
	case h.state.Spec.HostPID && h.proc != nil:
		if err := killDescendants(ctx, h.proc.Pid); err != nil {
			errs = append(errs, fmt.Errorf("kill the task's processes: %w", err))
		}
	}
	if err := h.signal(unix.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		errs = append(errs, fmt.Errorf("kill init: %w", err))
	}
	select {
	case <-h.done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("task %s still running %v after SIGKILL", h.cfg.ID, killWait))
	}
	return errors.Join(errs...)
}

// killDescendants SIGKILLs every descendant of root, again and again while
// any is left (one may fork while the tree is walked), until none is or ctx
// ends. root itself is spared: it reaps them and records the task's end.
func killDescendants(ctx context.Context, root int) error {
	for {
		tree, err := procTree(root)
		if err != nil {
			return err
		}
		delete(tree, root)
		if len(tree) == 0 {
			return nil
		}
		for pid := range tree {
			unix.Kill(pid, unix.SIGKILL)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d processes still alive: %w", len(tree), ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// reapGroup kills what the task left behind in its cgroup after its main
// process ended (daemonised children in a host pid namespace).
func (d *Driver) reapGroup(h *taskHandle) error {
	if h.group == nil || !h.state.Spec.HostPID {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), killWait)
	defer cancel()
	return h.group.Kill(ctx)
}

// DestroyTask forgets the task and removes what the driver created for it.
// It is idempotent: an unknown id is not an error. A running task is killed
// when force is set and refused otherwise.
func (d *Driver) DestroyTask(id string, force bool) error {
	h := d.tasks.get(id)
	if h == nil {
		return nil
	}
	if !h.exited() {
		if !force {
			return fmt.Errorf("destroy task %s: it is still running; stop it first or destroy with force", id)
		}
		if err := d.kill(h); err != nil {
			return fmt.Errorf("destroy task %s: %w", id, err)
		}
	}
	h.stopSupervisor()
	var errs []error
	if h.group != nil && h.state.OwnCgroup {
		if err := h.group.Remove(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.Remove(h.state.StatusPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	if h.proc != nil {
		h.proc.Close()
	}
	d.tasks.remove(id)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("destroy task %s: %w", id, err)
	}
	return nil
}

// SignalTask delivers a signal, by name, to the task through its init.
func (d *Driver) SignalTask(id string, signal string) error {
	h, err := d.task(id)
	if err != nil {
		return err
	}
	sig, err := parseSignal(signal)
	if err != nil {
		return err
	}
	if err := h.signal(sig); err != nil {
		if errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("signal task %s: the task has exited", id)
		}
		return fmt.Errorf("signal task %s: %w", id, err)
	}
	return nil
}

// InspectTask reports the task's state.
func (d *Driver) InspectTask(id string) (*nomadplugin.TaskStatus, error) {
	h, err := d.task(id)
	if err != nil {
		return nil, err
	}
	return h.status(), nil
}
