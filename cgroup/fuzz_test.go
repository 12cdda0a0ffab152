package cgroup

import (
	"strings"
	"testing"
)

// FuzzParseMountinfo checks that any mountinfo text parses or fails
// cleanly, and that a parsed layout never maps a controller outside
// /sys/fs/cgroup.
func FuzzParseMountinfo(f *testing.F) {
	f.Add("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct\n")
	f.Add("26 23 0:25 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw,nsdelegate\n")
	f.Fuzz(func(t *testing.T, s string) {
		mounts, err := parseMountinfo(strings.NewReader(s))
		if err != nil {
			return
		}
		h := layoutOf(mounts)
		for c, p := range h.v1 {
			if !within(p, mountRoot) || p == mountRoot {
				t.Fatalf("controller %s mapped to %q, outside %s", c, p, mountRoot)
			}
		}
	})
}

// FuzzParseKeyed checks the flat keyed parser (cpu.stat, memory.stat,
// memory.events, memory.oom_control) on arbitrary input.
func FuzzParseKeyed(f *testing.F) {
	f.Add("usage_usec 8314523\nuser_usec 6200117\n")
	f.Add("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseKeyed(s)
		if err != nil {
			return
		}
		for k := range m {
			if k == "" || strings.ContainsAny(k, " \n") {
				t.Fatalf("parseKeyed(%q) produced key %q", s, k)
			}
		}
	})
}

// FuzzParsePids checks that cgroup.procs parsing only yields positive pids.
func FuzzParsePids(f *testing.F) {
	f.Add("1\n22\n333\n")
	f.Fuzz(func(t *testing.T, s string) {
		pids, err := parsePids(s)
		if err != nil {
			return
		}
		for _, p := range pids {
			if p <= 0 {
				t.Fatalf("parsePids(%q) produced pid %d", s, p)
			}
		}
	})
}
