package driver

import (
	"context"
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
}

// startSupervisor creates the socket pair and starts serving it. report
// receives each violation once per syscall number.
func (d *Driver) startSupervisor(h *taskHandle) (*supervision, error) {
	return d.superviseFor(func(v supervisor.Violation) { d.violationEvent(h, v) })
}

// superviseFor starts a supervisor for a process sandboxed with spec.
func (d *Driver) superviseFor(report func(supervisor.Violation)) (*supervision, error) {
	if !actionAvailable(seccompRetUserNotif) {
		return &supervision{cancel: func() {}}, nil
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("supervisor socket: %w", err)
	}
	driverEnd := os.NewFile(uintptr(pair[0]), "supervisor")
	shimEnd := os.NewFile(uintptr(pair[1]), "supervisor-shim")
	ctx, cancel := context.WithCancel(context.Background())
	// The filter's description (promises, penalty, loader phase) arrives
	// with the listener from the shim, which alone knows whether the
	// program is dynamic; the driver only says what to do with violations.
	cfg := supervisor.Config{Report: report}
	go func() {
		defer driverEnd.Close()
		if err := supervisor.Serve(ctx, driverEnd, cfg); err != nil && ctx.Err() == nil {
			d.log.Warn("seccomp supervisor ended", "error", err)
		}
	}()
	return &supervision{shimEnd: shimEnd, cancel: cancel}, nil
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

func (s *supervision) stop() { s.cancel() }

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
