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
	"unsafe"

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
	// OnHandoff, if not nil, is called by Serve once the listener has
	// arrived, before the first notification is answered. The shim sends
	// the listener immediately before its execveat, so the program is
	// about to run (its exec may still be under way).
	OnHandoff func(Handoff)
}

// Handoff is what the shim handed over, as Config.OnHandoff sees it.
type Handoff struct {
	// Listener is a duplicate of the seccomp listener that the callee
	// owns and must close; nil if it could not be duplicated. A copy kept
	// open by a process that outlives the supervisor (the task's init)
	// lets a later supervisor resume with ServeListener; but then, while
	// no supervisor runs, routed calls wait for one instead of failing
	// with ENOSYS.
	Listener *os.File
	// PID is the shim's pid as the supervisor sees it; 0 if unknown.
	PID int
	// Filter is the filter's description (Arch, Set and Options), which
	// ServeListener needs: HandoffPayload encodes it for storage and
	// ParseHandoffPayload decodes it.
	Filter Config
}

// ParseHandoffPayload decodes a filter description written by
// HandoffPayload (e.g. stored to resume supervision after a restart) into
// the filter fields of a Config.
func ParseHandoffPayload(b []byte) (Config, error) {
	return decodePayload(b)
}

// Serve receives the listener on sock and answers notifications until every
// task using the filter is gone (the listener hangs up), or ctx ends. It
// returns nil when the tasks are gone, and an error if the listener never
// arrived or the kernel refused an answer.
func Serve(ctx context.Context, sock *os.File, cfg Config) error {
	wake, release, err := wakeOn(ctx)
	if err != nil {
		return err
	}
	defer release()
	conn, err := sock.SyscallConn()
	if err != nil {
		return fmt.Errorf("supervisor socket: %w", err)
	}
	var h handoff
	cerr := conn.Control(func(fd uintptr) { h, err = receiveListener(int(fd), wake) })
	if cerr != nil {
		return fmt.Errorf("supervisor socket: %w", cerr)
	}
	if err != nil {
		return stopped(ctx, err)
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
	if cfg.OnHandoff != nil {
		cfg.OnHandoff(Handoff{Listener: duplicate(h.listener), PID: h.pid, Filter: filter})
	}
	return stopped(ctx, serveListener(h.listener, wake, newClassifier(cfg, h.pid)))
}

// ServeListener answers the notifications of a listener received earlier,
// e.g. fetched back from the task's init after the driver restarted, until
// every task using the filter is gone or ctx ends; it does not close
// listener. cfg must describe the filter (Arch, Set, Options, as
// ParseHandoffPayload returns them). The loader phase counts as over
// unless cfg.LoaderPID names the still-loading task: a resumed supervisor
// treats the loader's calls as the violations they are after loading.
func ServeListener(ctx context.Context, listener *os.File, cfg Config) error {
	if err := cfg.checkFilter(); err != nil {
		return fmt.Errorf("supervisor: filter description: %w", err)
	}
	conn, err := listener.SyscallConn()
	if err != nil {
		return fmt.Errorf("supervisor: listener: %w", err)
	}
	wake, release, err := wakeOn(ctx)
	if err != nil {
		return err
	}
	defer release()
	cerr := conn.Control(func(fd uintptr) {
		if !isListener(int(fd)) {
			err = fmt.Errorf("supervisor: fd %d (%s) is not a seccomp user-notification listener", fd, listener.Name())
			return
		}
		err = serveListener(int(fd), wake, newClassifier(cfg, cfg.LoaderPID))
	})
	if cerr != nil {
		return fmt.Errorf("supervisor: listener: %w", cerr)
	}
	return stopped(ctx, err)
}

// wakeOn returns an eventfd that becomes readable when ctx ends, for the
// poll loops, and the function that releases it.
func wakeOn(ctx context.Context) (int, func(), error) {
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return -1, nil, fmt.Errorf("supervisor: eventfd: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { unix.Write(wake, []byte{1, 0, 0, 0, 0, 0, 0, 0}) })
	return wake, func() { stop(); unix.Close(wake) }, nil
}

// stopped turns the poll loops' errStopped into ctx's error.
func stopped(ctx context.Context, err error) error {
	if errors.Is(err, errStopped) {
		return ctx.Err()
	}
	return err
}

// duplicate returns a close-on-exec copy of fd, nil if there is none.
func duplicate(fd int) *os.File {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	return os.NewFile(uintptr(dup), "seccomp listener")
}

// isListener tells a seccomp listener from any other fd: only a listener
// answers SECCOMP_IOCTL_NOTIF_ID_VALID, with ENOENT for an unknown id.
func isListener(fd int) bool {
	err := ioctlPtr(fd, ioctlNotifIDValid, unsafe.Pointer(new(uint64)))
	return err == nil || err == unix.ENOENT
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
