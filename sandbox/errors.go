package sandbox

import "strings"

// Exit codes of the reference pledge command line, returned by Error.Code so
// that the CLI and the Nomad shim exit with the status a caller of pledge.com
// expects.
const (
	ExitUsage         = 1   // bad integer or size, NOFILE limit refused
	ExitDevNull       = 2   // opening /dev/null on a closed standard fd failed
	ExitDevNullFD     = 3   // /dev/null landed on the wrong fd
	ExitCloseFD       = 4   // closing an inherited fd failed
	ExitChrootAccess  = 7   // the chroot directory is not readable
	ExitChdir         = 8   // chdir to the chroot or working directory failed
	ExitChroot        = 9   // chroot failed
	ExitNotFound      = 10  // the command was not found on $PATH
	ExitSetgid        = 13  // setgid/setgroups failed
	ExitSetgidBroken  = 14  // the gid does not read back
	ExitSetuid        = 17  // setuid failed
	ExitSetuidBroken  = 18  // the uid does not read back
	ExitPledge        = 19  // the seccomp filter could not be built or installed
	ExitUnveil        = 20  // a Landlock rule or the commit failed
	ExitBadPromises   = 21  // the promise list does not parse
	ExitNice          = 23  // setpriority/ioprio/sched_setscheduler failed
	ExitCapabilities  = 25  // dropping capabilities failed
	ExitMissingTarget = 64  // no command given
	ExitExecFailed    = 127 // execve failed
)

// Error is a failure of the shim with the exit status the reference tool uses
// for it. The message names the step, the object and the cause, e.g.
// "unveil(/srv, rwx): permission denied".
type Error struct {
	code int
	Op   string // the step that failed, e.g. "setuid(65534)"
	Err  error  // the cause, usually a syscall.Errno
}

// Code is the process exit status for this failure.
func (e *Error) Code() int { return e.code }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

func fail(code int, op string, err error) *Error {
	return &Error{code: code, Op: op, Err: err}
}
