package supervisor

import (
	"fmt"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

// Violation is a system call the sandbox denied, reported once per call
// number per task.
type Violation struct {
	PID      int      // thread that made the call, as the supervisor sees it
	Nr       uint32   // system call number
	Syscall  string   // its name, "unknown" if the table has none
	Promises []string // promises that would allow it, in promise-bit order
}

// newViolation describes call nr on arch by thread pid.
func newViolation(arch promises.Arch, pid int, nr uint32) Violation {
	return Violation{
		PID:      pid,
		Nr:       nr,
		Syscall:  promises.SyscallName(arch, nr),
		Promises: promises.PromisesMentioning(arch, nr),
	}
}

// Lines formats the violation as the reference pledge does on stderr: one
// line per promise that mentions the call, or a single "bad syscall" line
// when none does. ord is the call number as three lowercase hex digits.
func (v Violation) Lines() []string {
	if len(v.Promises) == 0 {
		return []string{fmt.Sprintf("error: bad syscall %s (ord=%03x)", v.Syscall, v.Nr)}
	}
	lines := make([]string, len(v.Promises))
	for i, p := range v.Promises {
		lines[i] = fmt.Sprintf("error: protected syscall %s (ord=%03x); pledge promise '%s' to allow", v.Syscall, v.Nr, p)
	}
	return lines
}
