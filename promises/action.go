package promises

import (
	"fmt"
	"syscall"
)

// Action is a seccomp filter's verdict: a SECCOMP_RET_* value, with the errno
// in the low 16 bits for SECCOMP_RET_ERRNO.
type Action uint32

// The actions the compiled filters return.
const (
	ActionKillProcess Action = 0x80000000
	ActionNotify      Action = 0x7fc00000
	ActionAllow       Action = 0x7fff0000
	actionErrno       Action = 0x00050000
)

// ActionErrno returns the action that fails the call with errno e.
func ActionErrno(e syscall.Errno) Action { return actionErrno | Action(e&0xffff) }

// The errno actions the compiler uses.
var (
	actionEPERM  = ActionErrno(syscall.EPERM)
	actionENOSYS = ActionErrno(syscall.ENOSYS)
)

// String names the action the way the kernel headers do.
func (a Action) String() string {
	switch {
	case a == ActionKillProcess:
		return "KILL_PROCESS"
	case a == ActionNotify:
		return "USER_NOTIF"
	case a == ActionAllow:
		return "ALLOW"
	case a&0xffff0000 == actionErrno:
		return fmt.Sprintf("ERRNO(%s)", errnoName(syscall.Errno(a&0xffff)))
	}
	return fmt.Sprintf("Action(%#x)", uint32(a))
}

// errnoName returns the symbolic name of the errnos the filters use.
func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.EPERM:
		return "EPERM"
	case syscall.ENOSYS:
		return "ENOSYS"
	}
	return fmt.Sprint(int(e))
}

// Penalty is what a call no promise allows gets.
type Penalty int

// The penalties. The zero value fails the call with EPERM, which is what
// pledge(2) does by default on Linux.
const (
	// PenaltyEPERM fails the call with EPERM.
	PenaltyEPERM Penalty = iota
	// PenaltyKill kills the whole process with SIGSYS.
	PenaltyKill
	// PenaltyNotify hands the call to a user-notification supervisor, which
	// reports it and answers (EPERM, or kill).
	PenaltyNotify
)

// action returns the filter verdict for p.
func (p Penalty) action() (Action, error) {
	switch p {
	case PenaltyEPERM:
		return actionEPERM, nil
	case PenaltyKill:
		return ActionKillProcess, nil
	case PenaltyNotify:
		return ActionNotify, nil
	}
	return 0, fmt.Errorf("promises: unknown penalty %d; valid penalties: PenaltyEPERM, PenaltyKill, PenaltyNotify", int(p))
}

// String names the penalty.
func (p Penalty) String() string {
	switch p {
	case PenaltyEPERM:
		return "eperm"
	case PenaltyKill:
		return "kill"
	case PenaltyNotify:
		return "notify"
	}
	return fmt.Sprintf("Penalty(%d)", int(p))
}
