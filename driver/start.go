package driver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nsexec"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

// notifyFD is the shim's end of the supervisor socket: nsexec puts the
// shim's extra files at 3, 4, …, and fd 3 is the spec pipe.
const notifyFD = sandbox.SpecFD + 1

// StartTask validates the task config, opens the log fifos, places the task
// in its cgroup and starts init (which starts the shim, which sandboxes and
// execs the command). It returns once the shim has exec'd the command (or
// failed), so a signal sent right after reaches the command itself.
// Validation errors are fatal; failures of the machine (fifo, cgroup, fork)
// are recoverable, so the agent's restart policy applies.
func (d *Driver) StartTask(cfg *nomadplugin.TaskConfig) (*nomadplugin.TaskHandle, *nomadplugin.NetworkOverride, error) {
	if h := d.tasks.get(cfg.ID); h != nil {
		return nil, nil, fmt.Errorf("task %s is already started", cfg.ID)
	}
	spec, user, err := d.prepare(cfg)
	if err != nil {
		return nil, nil, nomadplugin.NewRecoverableError(err, false)
	}
	h, err := d.launch(cfg, spec, user)
	if err != nil {
		return nil, nil, nomadplugin.NewRecoverableError(err, true)
	}
	if !d.tasks.add(h) {
		d.kill(h)
		return nil, nil, fmt.Errorf("task %s was started twice concurrently", cfg.ID)
	}
	go d.watch(h)
	handle, err := d.handleFor(h)
	if err != nil {
		return nil, nil, err
	}
	return handle, nil, nil
}

// prepare checks everything that does not touch the machine: the task
// config against the operator policy, the user, and the driver's health.
func (d *Driver) prepare(cfg *nomadplugin.TaskConfig) (*taskSpec, identity, error) {
	var tc TaskConfig
	if err := taskConfigSchema.Decode(cfg.DriverConfig, &tc); err != nil {
		return nil, identity{}, fmt.Errorf("task config: %w", err)
	}
	op := d.operator()
	spec, err := parseTaskConfig(&tc, op, cfg.TaskDir())
	if err != nil {
		return nil, identity{}, err
	}
	user, err := resolveUser(cfg.User, op.DefaultUser, d.uid)
	if err != nil {
		return nil, identity{}, err
	}
	if d.uid != 0 {
		if err := checkRootless(cfg, spec, d.uid); err != nil {
			return nil, identity{}, err
		}
	}
	if op.RequireLandlock && sandbox.LandlockABI() == 0 {
		return nil, identity{}, errors.New("unveil cannot be enforced: Landlock is unavailable and the operator requires it (require_landlock)")
	}
	return spec, user, nil
}

// launch creates the task: log fifos, cgroup, supervisor, init; and waits
// for the shim to exec the command.
func (d *Driver) launch(cfg *nomadplugin.TaskConfig, spec *taskSpec, user identity) (*taskHandle, error) {
	stdout, err := openLogFIFO(cfg.AllocDir, cfg.StdoutPath)
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	stderr, err := openLogFIFO(cfg.AllocDir, cfg.StderrPath)
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	statusPath, err := d.statusPath(cfg.ID)
	if err != nil {
		return nil, err
	}
	place, err := d.placeTask(cfg, spec)
	if err != nil {
		return nil, err
	}
	h := &taskHandle{cfg: cfg, group: place.group, limiter: newEventLimiter(), done: make(chan struct{})}
	sup, err := d.startSupervisor(h)
	if err != nil {
		d.releaseGroup(place)
		return nil, err
	}
	h.stopSupervisor = sup.stop
	watch, err := newExecWatch()
	if err != nil {
		sup.stop()
		d.releaseGroup(place)
		return nil, err
	}
	defer watch.close()
	proc, err := d.startInit(cfg, spec, user, place, sup, watch, stdout, stderr, statusPath)
	if err != nil {
		sup.stop()
		d.releaseGroup(place)
		return nil, err
	}
	filter, err := d.awaitExec(proc, sup, watch)
	if err != nil {
		d.abandon(proc, place)
		sup.stop()
		d.releaseGroup(place)
		return nil, fmt.Errorf("task %s: %w", cfg.ID, err)
	}
	h.proc = proc
	h.state = driverState{
		Spec:          *spec,
		User:          user,
		InitPID:       proc.Pid,
		InitStartTime: proc.StartTime,
		StatusPath:    statusPath,
		OwnCgroup:     place.own,
		StartedAt:     time.Now(),
		Rootless:      d.uid != 0,
		Filter:        filter,
	}
	if filter != "" {
		h.state.ListenerFD = nsexec.HeldFD
	}
	if place.group != nil {
		st := place.group.State()
		h.state.Cgroup = &st
	}
	if place.degraded != "" {
		d.taskEvent(h, place.degraded, nil)
	}
	return h, nil
}

// startInit encodes the sandbox spec and starts init with the shim, which
// inherits the spec pipe, the supervisor socket and the exec watch, and
// sends the spec once init has confined itself (nsexec.Start returned).
// Init waits for awaitExec's hand-over (Hold).
func (d *Driver) startInit(cfg *nomadplugin.TaskConfig, spec *taskSpec, user identity, place *placement, sup *supervision, watch *execWatch, stdout, stderr *os.File, statusPath string) (*nsexec.Process, error) {
	sbSpec := sandbox.Spec{
		Policy: spec.sandboxPolicy(user, d.uid == 0, sup.shimFD()),
		Argv:   append([]string{spec.Command}, spec.Args...),
		Env:    environ(cfg.Env),
	}
	specs, err := newSpecPipe(&sbSpec)
	if err != nil {
		return nil, err
	}
	defer specs.close()
	nc := &nsexec.Config{
		Shim: nsexec.Shim{
			Self:       d.self,
			Args:       []string{sandbox.ShimArg},
			Stdout:     stdout,
			Stderr:     stderr,
			ExtraFiles: append(sup.extraFiles(specs.r), watch.shimEnd()),
		},
		Hold:       true,
		HostPID:    spec.HostPID,
		HostIPC:    spec.HostIPC,
		StatusPath: statusPath,
		// Without root the namespaces need a user namespace of their
		// own, in which the task keeps the driver's uid.
		UserNS: d.uid != 0,
	}
	if ni := cfg.NetworkIsolation; ni != nil && ni.Mode == nomadplugin.NetworkIsolationGroup && ni.Path != "" {
		nc.NetNSPath = ni.Path
	}
	attachCgroup(nc, place)
	if nc.Cgroup != nil {
		defer nc.Cgroup.Close()
	}
	proc, err := nsexec.Start(nc)
	sup.afterStart()
	watch.afterStart()
	if err == nil {
		specs.send()
	}
	return proc, err
}

// awaitExec waits, at most execTimeout, until the shim has exec'd the
// command (or died), then hands init a copy of the seccomp listener to
// hold for a later plugin process (recovery; see resumeSupervisor), or
// nothing. It returns the filter description to record with it, "" when
// init holds no listener.
func (d *Driver) awaitExec(proc *nsexec.Process, sup *supervision, watch *execWatch) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	if err := watch.wait(ctx); err != nil {
		return "", err
	}
	ho, err := sup.awaitHandoff(ctx)
	if err != nil {
		return "", err
	}
	var listener *os.File
	if ho != nil && ho.Listener != nil {
		defer ho.Listener.Close()
		if listenerReclaimable() {
			listener = ho.Listener
		}
	}
	if err := proc.HandOver(listener); err != nil {
		// Init is gone, and with it the task: watch reports the exit.
		d.log.Warn("task init did not take the seccomp listener copy", "pid", proc.Pid, "error", err)
		return "", nil
	}
	if listener == nil {
		return "", nil
	}
	return string(supervisor.HandoffPayload(ho.Filter)), nil
}

// abandon kills a task whose start failed once init existed: init, and
// with it a private pid namespace, and the cgroup's processes (a shim in
// the host's pid namespace).
func (d *Driver) abandon(proc *nsexec.Process, place *placement) {
	ctx, cancel := context.WithTimeout(context.Background(), killWait)
	defer cancel()
	if place.group != nil {
		place.group.Kill(ctx)
	}
	proc.Kill()
	proc.Wait(ctx)
	proc.Close()
}

// attachCgroup tells nsexec how to put init into the task's group: cloned
// straight into it on v2, moved before it starts the shim on v1.
func attachCgroup(nc *nsexec.Config, place *placement) {
	if place.group == nil {
		return
	}
	if dir, err := place.group.OpenDir(); err == nil {
		nc.Cgroup = dir
		return
	}
	nc.BeforeStart = place.group.AddProc
}

// specPipe carries the encoded sandbox spec to the shim's fd 3 (r), held
// back until send. The shim cannot run the task before it has read the
// spec, so sending it only once nsexec.Start has returned means that the
// task never runs beside an init that has not yet confined itself (and,
// for an exec on cgroup v1, that the command forks nothing before it is in
// the task's group).
type specPipe struct {
	r, w *os.File
	data []byte
}

func newSpecPipe(s *sandbox.Spec) (*specPipe, error) {
	data, err := s.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode sandbox spec: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("spec pipe: %w", err)
	}
	return &specPipe{r: r, w: w, data: data}, nil
}

// send writes the spec in the background, so a spec larger than the pipe
// buffer does not block the start, and then closes the write end.
func (p *specPipe) send() {
	w := p.w
	p.w = nil
	go func() {
		w.Write(p.data)
		w.Close()
	}()
}

// close closes the driver's copy of the read end, once the shim holds its
// own, and the write end unless it was sent: the shim then reads a
// truncated spec and fails.
func (p *specPipe) close() {
	p.r.Close()
	if p.w != nil {
		p.w.Close()
	}
}

// statusPath is the task's exit status file in the driver's state
// directory, which only the driver's user may write.
func (d *Driver) statusPath(id string) (string, error) {
	if err := os.MkdirAll(d.stateDir, 0o700); err != nil {
		return "", fmt.Errorf("state dir: %w", err)
	}
	if err := os.Chmod(d.stateDir, 0o700); err != nil {
		return "", fmt.Errorf("state dir: %w", err)
	}
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(d.stateDir, hex.EncodeToString(sum[:12])+".status"), nil
}

// releaseGroup undoes placeTask after a failed start.
func (d *Driver) releaseGroup(place *placement) {
	if place.group != nil && place.own {
		place.group.Remove()
	}
}

// handleFor renders the handle the agent stores.
func (d *Driver) handleFor(h *taskHandle) (*nomadplugin.TaskHandle, error) {
	state, err := h.state.encode()
	if err != nil {
		return nil, fmt.Errorf("encode driver_state: %w", err)
	}
	return &nomadplugin.TaskHandle{
		Version:     handleVersion,
		Config:      h.cfg,
		State:       nomadplugin.TaskStateRunning,
		DriverState: state,
	}, nil
}

// watch waits for the task's end and records its exit.
func (d *Driver) watch(h *taskHandle) {
	st, err := h.proc.Wait(context.Background())
	res := nomadplugin.ExitResult{ExitCode: st.Code, Signal: int(st.Signal)}
	if err != nil && !errors.Is(err, nsexec.ErrStatusMissing) {
		res.Err = err
	}
	if errors.Is(err, nsexec.ErrStatusMissing) && res.Signal == 0 {
		res.Signal, res.ExitCode = int(unix.SIGKILL), 128+int(unix.SIGKILL)
	}
	if h.group != nil {
		if oom, oerr := h.group.OOMKilled(); oerr == nil {
			res.OOMKilled = oom
		}
	}
	h.exit, h.completedAt = res, time.Now()
	close(h.done)
	if h.stopSupervisor != nil {
		h.stopSupervisor()
	}
}
