package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

// supervision is one sandboxed process's seccomp supervisor: a goroutine in
// the driver serving the listener the shim hands over on a socket pair. It
// answers the loader phase of dynamic programs and turns denied syscalls
// into task events.
type supervision struct {
	// shimEnd is inherited by the shim as notifyFD; nil when no
	// supervisor runs (the kernel lacks seccomp user notification).
	shimEnd *os.File
	cancel  context.CancelFunc
	// handoff receives the shim's hand-off, or nil once Serve ended
	// without one; nil when nobody asked for it (exec sessions, probes).
	handoff chan *supervisor.Handoff
}

// startSupervisor creates the socket pair of a task's supervisor and
// starts serving it; report receives each violation once per syscall
// number. Its hand-off is kept for awaitHandoff.
func (d *Driver) startSupervisor(h *taskHandle) (*supervision, error) {
	return d.supervise(func(v supervisor.Violation) { d.violationEvent(h, v) }, true)
}

// superviseFor starts a supervisor for a process whose hand-off nobody
// awaits.
func (d *Driver) superviseFor(report func(supervisor.Violation)) (*supervision, error) {
	return d.supervise(report, false)
}

func (d *Driver) supervise(report func(supervisor.Violation), keepHandoff bool) (*supervision, error) {
	if !actionAvailable(seccompRetUserNotif) {
		return &supervision{cancel: func() {}}, nil
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("supervisor socket: %w", err)
	}
	driverEnd := os.NewFile(uintptr(pair[0]), "supervisor")
	ctx, cancel := context.WithCancel(context.Background())
	s := &supervision{shimEnd: os.NewFile(uintptr(pair[1]), "supervisor-shim"), cancel: cancel}
	// The filter's description (promises, penalty, loader phase) arrives
	// with the listener from the shim, which alone knows whether the
	// program is dynamic; the driver only says what to do with violations.
	cfg := supervisor.Config{Report: report}
	if keepHandoff {
		s.handoff = make(chan *supervisor.Handoff, 1)
		cfg.OnHandoff = func(h supervisor.Handoff) { s.handoff <- &h }
	}
	go func() {
		defer driverEnd.Close()
		err := supervisor.Serve(ctx, driverEnd, cfg)
		if s.handoff != nil {
			select {
			case s.handoff <- nil:
			default: // the hand-off is waiting there
			}
		}
		// No listener is no failure: a filter with the kill penalty
		// and no loader phase needs no supervisor.
		if err != nil && ctx.Err() == nil && !errors.Is(err, supervisor.ErrNoListener) {
			d.log.Warn("seccomp supervisor ended", "error", err)
		}
	}()
	return s, nil
}

// awaitHandoff returns the shim's hand-off once the listener arrived, nil
// when none will (the filter needs no supervisor, the shim failed before
// installing it, or there is no supervisor at all).
func (s *supervision) awaitHandoff(ctx context.Context) (*supervisor.Handoff, error) {
	if s.handoff == nil {
		return nil, nil
	}
	select {
	case h := <-s.handoff:
		return h, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("seccomp listener hand-off: %w", ctx.Err())
	}
}

// shimFD is the fd number the shim finds the socket at, or -1.
func (s *supervision) shimFD() int {
	if s.shimEnd == nil {
		return -1
	}
	return notifyFD
}

// extraFiles are the shim's fds from 3 on: the spec pipe, then the socket.
func (s *supervision) extraFiles(spec *os.File) []*os.File {
	if s.shimEnd == nil {
		return []*os.File{spec}
	}
	return []*os.File{spec, s.shimEnd}
}

// afterStart drops the driver's copy of the shim's end, so the supervisor
// sees the socket close if the shim dies before handing over its listener.
func (s *supervision) afterStart() {
	if s.shimEnd != nil {
		s.shimEnd.Close()
	}
}

// stop ends the supervisor and closes a listener copy nobody took.
func (s *supervision) stop() {
	s.cancel()
	select {
	case h := <-s.handoff:
		if h != nil && h.Listener != nil {
			h.Listener.Close()
		}
	default:
	}
}

// violationEvent reports a denied syscall as a task event, rate-limited per
// task.
func (d *Driver) violationEvent(h *taskHandle, v supervisor.Violation) {
	msg := violationMessage(v)
	d.log.Info("sandbox violation", "task_id", h.cfg.ID, "syscall", v.Syscall, "promises", strings.Join(v.Promises, " "))
	d.taskEvent(h, msg, map[string]string{
		"syscall":  v.Syscall,
		"promises": strings.Join(v.Promises, " "),
		"pid":      itoa(v.PID),
	})
}

// violationMessage names the syscall and what would allow it.
func violationMessage(v supervisor.Violation) string {
	switch len(v.Promises) {
	case 0:
		return fmt.Sprintf("sandbox denied syscall %s (ord=%03x): no promise allows it", v.Syscall, v.Nr)
	case 1:
		return fmt.Sprintf("sandbox denied syscall %s (ord=%03x): pledge promise '%s' to allow", v.Syscall, v.Nr, v.Promises[0])
	}
	return fmt.Sprintf("sandbox denied syscall %s (ord=%03x): pledge one of the promises '%s' to allow", v.Syscall, v.Nr, strings.Join(v.Promises, "', '"))
}
