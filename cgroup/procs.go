package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// parsePids parses cgroup.procs: one decimal pid per line.
func parsePids(s string) ([]int, error) {
	var pids []int
	for _, f := range strings.Fields(s) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("cgroup.procs entry %q: want a positive pid", f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// Pids lists the processes (thread-group ids) in the group, sorted. On v1
// it is the union over every joined hierarchy, so a process that escaped
// one hierarchy is still seen. A removed group has no processes.
func (g *Group) Pids() ([]int, error) {
	var all []int
	for _, d := range g.allDirs() {
		s, err := readFile(d, "cgroup.procs")
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing cgroup processes: %w", err)
		}
		pids, err := parsePids(s)
		if err != nil {
			return nil, fmt.Errorf("listing cgroup processes in %s: %w", d, err)
		}
		all = append(all, pids...)
	}
	slices.Sort(all)
	return slices.Compact(all), nil
}

// AddProc moves process pid into the group: into the unified directory on
// v2, into every joined hierarchy on v1 (freezer first). Prefer starting
// the process with CLONE_INTO_CGROUP on v2 (see OpenDir), which leaves no
// window in which it runs outside the group.
func (g *Group) AddProc(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("adding process to cgroup: pid %d: want a positive pid", pid)
	}
	for _, d := range g.allDirs() {
		if err := writeFile(d, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("adding process %d to cgroup: %w", pid, err)
		}
	}
	return nil
}
