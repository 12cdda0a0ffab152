package cgroup

import (
	"errors"
	"fmt"
	"os"
	"slices"
)

// Group is one task's control group: a single directory on v2, one
// directory per controller on v1.
type Group struct {
	mode    Mode
	unified string
	dirs    map[string]string
	created []string
	oomBase uint64
}

// State is everything needed to reopen a Group in another process (the
// driver after a restart). It is plain data, safe to encode into a task
// handle's driver_state.
type State struct {
	// Mode is ModeV1 or ModeV2.
	Mode Mode `json:"mode" codec:"mode"`
	// Unified is the v2 group directory.
	Unified string `json:"unified,omitempty" codec:"unified"`
	// Controllers maps each joined v1 controller to its group directory.
	Controllers map[string]string `json:"controllers,omitempty" codec:"controllers"`
	// Created lists the group directories this package created; Remove
	// deletes exactly these. Directories Nomad created are left to Nomad.
	Created []string `json:"created,omitempty" codec:"created"`
	// OOMBaseline is the OOM kill counter when the group was joined or
	// created, so OOMKilled counts only kills that happened afterwards.
	OOMBaseline uint64 `json:"oom_baseline" codec:"oom_baseline"`
}

// ErrNotPresent reports that Nomad did not create a cgroup for the task
// (it still sends a path when its cgroup support is off). The driver then
// creates its own group or runs the task without one.
var ErrNotPresent = errors.New("task cgroup not present")

// State returns the data Reopen needs.
func (g *Group) State() State {
	s := State{
		Mode:        g.mode,
		Unified:     g.unified,
		Created:     slices.Clone(g.created),
		OOMBaseline: g.oomBase,
	}
	if len(g.dirs) > 0 {
		s.Controllers = make(map[string]string, len(g.dirs))
		for c, d := range g.dirs {
			s.Controllers[c] = d
		}
	}
	return s
}

// Reopen returns the Group described by s, checking that its directories
// still exist so a task whose group was removed is noticed at recovery.
func Reopen(s State) (*Group, error) {
	g := &Group{mode: s.Mode, created: slices.Clone(s.Created), oomBase: s.OOMBaseline}
	switch s.Mode {
	case ModeV2:
		if s.Unified == "" {
			return nil, errors.New("reopening cgroup: state has mode v2 but no unified directory")
		}
		g.unified = s.Unified
	case ModeV1:
		if len(s.Controllers) == 0 {
			return nil, errors.New("reopening cgroup: state has mode v1 but no controller directories")
		}
		g.dirs = make(map[string]string, len(s.Controllers))
		for c, d := range s.Controllers {
			if !slices.Contains(v1Controllers, c) {
				return nil, fmt.Errorf("reopening cgroup: unknown v1 controller %q (want one of %v)", c, v1Controllers)
			}
			g.dirs[c] = d
		}
	default:
		return nil, fmt.Errorf("reopening cgroup: mode %q: want %q or %q", s.Mode, ModeV1, ModeV2)
	}
	for _, d := range g.allDirs() {
		if _, err := os.Stat(d); err != nil {
			return nil, fmt.Errorf("reopening cgroup: %w", err)
		}
	}
	return g, nil
}

// Mode is the cgroup version the group lives in.
func (g *Group) Mode() Mode { return g.mode }

// Dir returns the group's directory: the unified directory on v2 (pass
// ""), the directory in the named controller's hierarchy on v1. ok is false
// when the group has no such directory.
func (g *Group) Dir(controller string) (dir string, ok bool) {
	if g.mode == ModeV2 {
		return g.unified, controller == "" && g.unified != ""
	}
	dir, ok = g.dirs[controller]
	return dir, ok
}

// allDirs lists every directory of the group without duplicates (v1
// co-mounted controllers share one), in v1Controllers order.
func (g *Group) allDirs() []string {
	if g.mode == ModeV2 {
		return []string{g.unified}
	}
	var out []string
	for _, c := range v1Controllers {
		if d, ok := g.dirs[c]; ok && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}
