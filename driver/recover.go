package driver

import (
	"errors"
	"fmt"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nsexec"
)

// RecoverTask re-attaches to a task started by an earlier plugin process,
// from the handle's driver_state alone. The task's init is found by pid and
// start time, so a reused pid is never adopted; if the task ended while the
// driver was away, its exit status comes from the status file init wrote.
func (d *Driver) RecoverTask(handle *nomadplugin.TaskHandle) error {
	if handle == nil || handle.Config == nil {
		return errors.New("recover task: handle without task config")
	}
	if d.tasks.get(handle.Config.ID) != nil {
		return nil
	}
	state, err := decodeDriverState(handle.Version, handle.DriverState)
	if err != nil {
		return fmt.Errorf("recover task %s: %w", handle.Config.ID, err)
	}
	h := &taskHandle{cfg: handle.Config, state: *state, limiter: newEventLimiter(), done: make(chan struct{}), stopSupervisor: func() {}}
	if state.Cgroup != nil {
		if h.group, err = cgroup.Reopen(*state.Cgroup); err != nil {
			d.log.Warn("recovered task's cgroup is gone", "task_id", handle.Config.ID, "error", err)
		}
	}
	proc, err := nsexec.Attach(state.InitPID, state.InitStartTime, state.StatusPath)
	switch {
	case errors.Is(err, nsexec.ErrGone):
		d.recoverExited(h)
		d.tasks.add(h)
		return nil
	case err != nil:
		return fmt.Errorf("recover task %s: %w", handle.Config.ID, err)
	}
	h.proc = proc
	if !d.tasks.add(h) {
		proc.Close() // recovered concurrently by another call
		return nil
	}
	d.taskEvent(h, "driver restarted: task recovered; its syscall violations are no longer reported as events", nil)
	go d.watch(h)
	return nil
}

// recoverExited records the exit of a task that ended while no driver was
// watching it.
func (d *Driver) recoverExited(h *taskHandle) {
	st, err := nsexec.ReadStatus(h.state.StatusPath)
	res := nomadplugin.ExitResult{ExitCode: st.Code, Signal: int(st.Signal)}
	if err != nil {
		res.Err = fmt.Errorf("the task ended while the driver was not running and its exit status is unknown: %w", err)
	}
	if h.group != nil {
		if oom, oerr := h.group.OOMKilled(); oerr == nil {
			res.OOMKilled = oom
		}
	}
	h.exit, h.completedAt = res, time.Now()
	close(h.done)
}
