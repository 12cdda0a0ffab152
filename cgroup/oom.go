package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
)

// oomKills returns the kernel's count of OOM kills in the group so far.
//
// v2: "oom_kill" of memory.events, which counts the group and its
// descendants, and of memory.events.local; the larger wins, because with
// the memory_localevents mount option memory.events is local only.
// v1: "oom_kill" of memory.oom_control (kernel 4.13+); older kernels only
// have memory.failcnt, the number of times usage hit the limit, which is
// the closest sign that the limit was enforced.
// A group without the memory controller reports 0.
func (g *Group) oomKills() (uint64, error) {
	if g.mode == ModeV2 {
		return g.oomKillsV2()
	}
	dir, ok := g.dirs["memory"]
	if !ok {
		return 0, nil
	}
	m, err := readKeyed(dir, "memory.oom_control")
	if err != nil {
		return 0, fmt.Errorf("reading OOM kills: %w", err)
	}
	if n, ok := m["oom_kill"]; ok {
		return n, nil
	}
	n, err := readUint(dir, "memory.failcnt")
	if err != nil {
		return 0, fmt.Errorf("reading OOM kills: %w", err)
	}
	return n, nil
}

func (g *Group) oomKillsV2() (uint64, error) {
	var most uint64
	for _, f := range []string{"memory.events", "memory.events.local"} {
		m, err := readKeyed(g.unified, f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("reading OOM kills: %w", err)
		}
		most = max(most, m["oom_kill"])
	}
	return most, nil
}

// OOMKilled reports whether the kernel's OOM killer killed a process of
// the group since it was joined or created (the counter is compared with
// the value recorded then, which State carries across driver restarts).
func (g *Group) OOMKilled() (bool, error) {
	n, err := g.oomKills()
	if err != nil {
		return false, err
	}
	return n > g.oomBase, nil
}
