package promises

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// PromiseInfo describes one promise for `pledge -list`.
type PromiseInfo struct {
	Name     string
	Syscalls []SyscallInfo
}

// SyscallInfo is one system call a promise grants.
type SyscallInfo struct {
	Name string
	Nr   uint32
	// Condition says when the call is allowed, in the kernel headers'
	// symbols; "" means always. Alternatives are parenthesized and joined
	// with " or ".
	Condition string
}

// Describe returns the catalog for a: every promise, in bit order, with the
// system calls it grants on a, in catalog order.
func Describe(a Arch) []PromiseInfo {
	infos := make([]PromiseInfo, promiseCount)
	for bit, name := range promiseNames {
		infos[bit] = PromiseInfo{Name: name, Syscalls: describeRules(a, catalog()[1<<bit]())}
	}
	return infos
}

// describeRules lists rules by system call, joining the conditions of
// repeated calls; calls a lacks are left out.
func describeRules(a Arch, rules []rule) []SyscallInfo {
	var out []SyscallInfo
	for _, r := range rules {
		nr, ok := SyscallNumber(a, r.syscall)
		if !ok {
			continue
		}
		i := slices.IndexFunc(out, func(s SyscallInfo) bool { return s.Nr == nr })
		switch {
		case i < 0:
			out = append(out, SyscallInfo{Name: r.syscall, Nr: nr, Condition: r.cond.String()})
		case out[i].Condition != "" && len(r.cond) > 0:
			out[i].Condition = parenthesize(out[i].Condition) + " or (" + r.cond.String() + ")"
		default:
			out[i].Condition = ""
		}
	}
	return out
}

// parenthesize wraps a condition in parentheses unless it already is a
// parenthesized alternative.
func parenthesize(c string) string {
	if strings.HasPrefix(c, "(") {
		return c
	}
	return "(" + c + ")"
}

// WriteTable writes the catalog for a as text: the rules every filter
// applies, then one block per promise with a line per system call.
func WriteTable(w io.Writer, a Arch) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# pledge promises on %s\n", a)
	fmt.Fprintf(&b, "# always: calls from another ABI kill the process; numbers >= %d and %s fail with ENOSYS;\n",
		firstUnknownSyscall, strings.Join(forcedENOSYS, ", "))
	fmt.Fprintf(&b, "# allowed under every promise set: %s\n", strings.Join(presentNames(a, alwaysAllowed()), ", "))
	for _, p := range Describe(a) {
		fmt.Fprintf(&b, "\n%s\n", p.Name)
		for _, s := range p.Syscalls {
			line := fmt.Sprintf("  %-24s %3d", s.Name, s.Nr)
			if s.Condition != "" {
				line += "  if " + s.Condition
			}
			b.WriteString(line + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// presentNames returns the names of rules that exist on a.
func presentNames(a Arch, rules []rule) []string {
	var names []string
	for _, r := range rules {
		if _, ok := SyscallNumber(a, r.syscall); ok {
			names = append(names, r.syscall)
		}
	}
	return names
}

// PromisesMentioning returns the names of the promises, in bit order, whose
// catalog entry names system call nr on a, whether or not with a condition:
// the promises a violation message suggests.
func PromisesMentioning(a Arch, nr uint32) []string {
	if !a.valid() {
		return nil
	}
	c := catalogFor(a)
	var names []string
	for bit, name := range promiseNames {
		if slices.ContainsFunc(c.promise(bit), func(r syscallRule) bool { return r.nr == nr }) {
			names = append(names, name)
		}
	}
	return names
}
