package driver

import (
	"sort"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
)

// sandboxPolicy is what the shim applies for this task: the job's promises
// and unveils (plus the automatic unveils a program needs to start), its
// rlimits, ambient capabilities and working directory, and the task's
// identity. notifyFD is the shim's end of the supervisor socket, -1 when no
// supervisor runs; with one, denied syscalls are reported as task events.
//
// Identity switching is asked for only when the driver is root: a rootless
// driver runs tasks as itself (mapped inside a user namespace), where a
// setuid would fail.
func (s *taskSpec) sandboxPolicy(id identity, asRoot bool, notifyFD int) sandbox.Policy {
	p := sandbox.Policy{
		Promises:    s.Promises,
		Penalty:     s.Penalty,
		Report:      notifyFD >= 0,
		NotifyFD:    notifyFD,
		Unveils:     append([]sandbox.Unveil(nil), s.Unveils...),
		AutoUnveil:  true,
		AmbientCaps: s.Caps,
		Dir:         s.WorkDir,
	}
	for _, l := range s.Rlimits {
		p.Rlimits = append(p.Rlimits, sandbox.Rlimit{Resource: l.Resource, Cur: l.Value, Max: l.Value})
	}
	if asRoot {
		p.UID, p.GID = uint32(id.UID), uint32(id.GID)
		for _, g := range id.Groups {
			p.Groups = append(p.Groups, uint32(g))
		}
	}
	return p
}

// environ renders the task environment as the program sees it, sorted so
// the encoded spec is the same for the same task.
func environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
