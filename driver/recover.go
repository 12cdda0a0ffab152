package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nsexec"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

// RecoverTask re-attaches to a task started by an earlier plugin process,
// from the handle's driver_state alone. The task's init is found by pid and
// start time, so a reused pid is never adopted; if the task ended while the
// driver was away, its exit status comes from the status file init wrote.
// Supervision resumes on the seccomp listener init kept (resumeSupervisor).
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
	reporting := d.resumeSupervisor(h)
	if !d.tasks.add(h) {
		h.stopSupervisor()
		proc.Close() // recovered concurrently by another call
		return nil
	}
	d.taskEvent(h, "driver restarted: task recovered; "+reporting, nil)
	go d.watch(h)
	return nil
}

// resumeSupervisor fetches the copy of the task's seccomp listener that
// its init holds and serves it again, so that denied calls keep failing
// with EPERM and are reported as events, as before the restart. Init holds
// the copy because the listener would otherwise die with the plugin
// process, after which the kernel fails every routed call with ENOSYS and
// nothing reports them. While no plugin runs, routed calls wait for the
// next one (a signal still interrupts them). The loader phase counts as
// over: the task was past it long before any restart. It returns what the
// recovery event says about violation reporting.
func (d *Driver) resumeSupervisor(h *taskHandle) string {
	if h.state.ListenerFD == 0 {
		return "its syscall violations are no longer reported as events (its init keeps no seccomp listener)"
	}
	cfg, err := supervisor.ParseHandoffPayload([]byte(h.state.Filter))
	if err != nil {
		return fmt.Sprintf("its syscall violations are no longer reported as events: %v", err)
	}
	listener, err := h.proc.GetFD(h.state.ListenerFD)
	if err != nil {
		d.log.Warn("cannot fetch the recovered task's seccomp listener from its init", "task_id", h.cfg.ID, "error", err)
		return fmt.Sprintf("its seccomp listener could not be fetched from its init (%v): violations are not reported and denied calls wait until a plugin with CAP_SYS_PTRACE recovers the task", err)
	}
	cfg.Report = func(v supervisor.Violation) { d.violationEvent(h, v) }
	ctx, cancel := context.WithCancel(context.Background())
	h.stopSupervisor = cancel
	go func() {
		defer listener.Close()
		if err := supervisor.ServeListener(ctx, listener, cfg); err != nil && ctx.Err() == nil {
			d.log.Warn("recovered seccomp supervisor ended", "task_id", h.cfg.ID, "error", err)
		}
	}()
	return "syscall violation reporting resumed"
}

// listenerReclaimable reports whether a later plugin process could fetch a
// listener back from a task's init: pidfd_getfd on the non-dumpable init
// needs CAP_SYS_PTRACE over init's user namespace, and Yama's ptrace_scope
// 3 forbids it outright. A root driver needs the capability itself; an
// unprivileged one creates each init in a user namespace of its own, over
// which it holds every capability (and the task none). Init only holds a
// copy when it can be reclaimed, because a held listener nobody serves
// makes the task's denied calls wait instead of failing.
var listenerReclaimable = sync.OnceValue(func() bool {
	if scope, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil && strings.TrimSpace(string(scope)) == "3" {
		return false
	}
	if os.Geteuid() != 0 {
		return true
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData
	return unix.Capget(&hdr, &caps[0]) == nil && caps[0].Effective&(1<<unix.CAP_SYS_PTRACE) != 0
})

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
