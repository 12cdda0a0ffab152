// Package supervisor answers the seccomp user notifications of a sandboxed
// task: it lets a dynamic program's loader finish starting it, reports
// denied calls, and never grants a call the task's filter denies.
//
// The shim installs its filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and
// sends the listener fd over a unix socket (SCM_RIGHTS) before it execs the
// program. The filter routes two kinds of calls here:
//
//   - denials, when reporting is on (penalty USER_NOTIF): answered EPERM,
//     reported once per system call number;
//   - calls of the loader promises (rpath) the user did not grant, for a
//     dynamic program: let through (SECCOMP_USER_NOTIF_FLAG_CONTINUE) while
//     the task's first thread is in its loader phase, which ends when the
//     preload object's constructor calls prctl(promises.LoaderDoneOption).
//     After that they are violations like any other.
//
// Every answer is derived from promises.Evaluate on the filter's own rules:
// a call is continued only if the filter routed it here (its action is
// USER_NOTIF) and the loader's promises would allow it. With penalty kill,
// the filter kills by itself; the only violations routed here are loader
// promises after the loader phase, and for those the supervisor sends
// SIGSYS to the calling thread (a signal, which unlike the filter's kill the
// task could block or catch; the call still fails with EPERM).
//
// If the supervisor dies, the kernel fails every routed call with ENOSYS:
// denials stay denials, and a dynamic program that has not finished loading
// cannot open its libraries.
//
// Residual differences from the reference's in-process preload filter: the
// loader phase covers ld.so and the constructors of the program's libraries
// (they run before the preload's); it lasts as long as the preload does not
// run, e.g. if ld.so ignores LD_PRELOAD or cannot read the object; CONTINUE
// re-reads the call's memory arguments, which only the task itself (single
// threaded while loading) could change in between.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

// Config describes the filter a supervisor serves and what to do with
// violations.
type Config struct {
	// Arch, Set and Options describe the filter. Serve replaces them with
	// the description the shim sends with the listener (HandoffPayload),
	// which is exactly what the filter was compiled from; callers may leave
	// them zero. Options.Cookie is never used.
	Arch    promises.Arch
	Set     promises.Set
	Options promises.Options
	// LoaderPID is the task's pid as the supervisor sees it. Zero takes it
	// from the credentials of the listener hand-off, which the kernel
	// translates across pid namespaces; that is what the Nomad driver wants.
	LoaderPID int
	// Report, if not nil, is called once per denied system call number.
	Report func(Violation)
}

// Serve receives the listener on sock and answers notifications until every
// task using the filter is gone (the listener hangs up), or ctx ends. It
// returns nil when the tasks are gone, and an error if the listener never
// arrived or the kernel refused an answer.
func Serve(ctx context.Context, sock *os.File, cfg Config) error {
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return fmt.Errorf("supervisor: eventfd: %w", err)
	}
	defer unix.Close(wake)
	stop := context.AfterFunc(ctx, func() { unix.Write(wake, []byte{1, 0, 0, 0, 0, 0, 0, 0}) })
	defer stop()

	conn, err := sock.SyscallConn()
	if err != nil {
		return fmt.Errorf("supervisor socket: %w", err)
	}
	var h handoff
	cerr := conn.Control(func(fd uintptr) { h, err = receiveListener(int(fd), wake) })
	if cerr != nil {
		return fmt.Errorf("supervisor socket: %w", cerr)
	}
	if errors.Is(err, errStopped) {
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	defer unix.Close(h.listener)
	filter, err := decodePayload(h.payload)
	if err != nil {
		return err // closing the listener leaves the task's routed calls failing with ENOSYS
	}
	cfg.Arch, cfg.Set, cfg.Options = filter.Arch, filter.Set, filter.Options
	if h.pid == 0 {
		h.pid = cfg.LoaderPID
	}
	err = serveListener(h.listener, wake, newClassifier(cfg, h.pid))
	if errors.Is(err, errStopped) {
		return ctx.Err()
	}
	return err
}

// serveListener is the notification loop.
func serveListener(listener, wake int, c *classifier) error {
	reported := make(map[uint32]bool)
	for {
		revents, err := pollPair(listener, wake)
		if err != nil {
			return err
		}
		if revents&unix.POLLIN == 0 {
			return nil // POLLHUP: no task uses the filter any more
		}
		n, err := receive(listener)
		if err == unix.ENOENT {
			continue // the caller died before we read its call
		}
		if err != nil {
			return fmt.Errorf("supervisor: SECCOMP_IOCTL_NOTIF_RECV: %w", err)
		}
		if err := answer(listener, c, n, reported); err != nil {
			return err
		}
	}
}

// answer replies to one notification. A first violation of its call number
// is reported before the reply, so that the report precedes whatever the
// task prints about the failure.
func answer(listener int, c *classifier, n notif, reported map[uint32]bool) error {
	d := promises.Data{Nr: uint32(n.Data.Nr), Arch: n.Data.Arch, IP: n.Data.IP, Args: n.Data.Args}
	v := c.classify(int(n.PID), d)
	resp := notifResp{ID: n.ID}
	switch v {
	case verdictContinue:
		resp.Flags = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
	case verdictDeny:
		resp.Error = -int32(unix.EPERM)
		if c.cfg.Report != nil && !reported[d.Nr] {
			reported[d.Nr] = true
			c.cfg.Report(newViolation(c.cfg.Arch, int(n.PID), d.Nr))
		}
		if c.cfg.Options.Penalty == promises.PenaltyKill {
			killThread(listener, n)
		}
	}
	if err := send(listener, resp); err != nil && err != unix.ENOENT {
		return fmt.Errorf("supervisor: SECCOMP_IOCTL_NOTIF_SEND (%v): %w", v, err)
	}
	return nil
}

// killThread sends SIGSYS to the calling thread through a pidfd, after
// checking that the notification is still pending so that the pid cannot
// have been reused. SIGSYS's default action ends the whole process.
func killThread(listener int, n notif) {
	fd, err := unix.PidfdOpen(int(n.PID), unix.PIDFD_THREAD)
	if err == unix.EINVAL {
		fd, err = unix.PidfdOpen(int(n.PID), 0)
	}
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if idValid(listener, n.ID) {
		unix.PidfdSendSignal(fd, unix.SIGSYS, nil, 0)
	}
}
