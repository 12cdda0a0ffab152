package sandbox

import (
	"os"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

// pendingSupervisor is a supervisor process being started in parallel with
// the rest of the shim: the fork and exec run on another thread while this
// one opens, inspects and compiles, and the shim waits for it only before
// it sets limits the supervisor must not inherit.
//
// The spawning thread keeps the shim's original credentials, capabilities
// and Landlock domain: everything the shim changes before the wait is
// changed with per-thread system calls on the locked thread, and a chroot
// waits for the spawn first (the exec resolves /proc/self/exe in the root
// all threads share).
type pendingSupervisor struct {
	done chan struct{}
	sock *os.File
	err  error
}

// startSupervisor starts supervisor.Spawn on another thread.
func startSupervisor(report bool) *pendingSupervisor {
	s := &pendingSupervisor{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.sock, s.err = supervisor.Spawn(report)
	}()
	return s
}

// wait returns the shim's end of the supervisor socket once the supervisor
// has been executed.
func (s *pendingSupervisor) wait() (*os.File, error) {
	<-s.done
	return s.sock, s.err
}

// discard closes the socket of a supervisor the program turned out not to
// need; it exits quietly when it sees the socket close.
func (s *pendingSupervisor) discard() {
	if sock, err := s.wait(); err == nil {
		sock.Close()
	}
}

// mayNeedSupervisor says whether p can need a spawned supervisor before the
// program is known: for reporting, or for the loader phase of a dynamic
// program without rpath.
func mayNeedSupervisor(p *Policy) bool {
	if !p.SpawnSupervisor || p.NotifyFD >= 0 {
		return false
	}
	_, opts, err := filterOptions(p, kindDynamic, 0)
	return err == nil && needsSupervisor(opts)
}

// needsSupervisor says whether a filter with opts routes calls to a
// supervisor.
func needsSupervisor(opts promises.Options) bool {
	return opts.Penalty == promises.PenaltyNotify || opts.Loader != 0
}
