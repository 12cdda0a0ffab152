package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// DefaultV1Parent is Nomad's default client.cgroup_parent on v1 hosts.
const DefaultV1Parent = "/nomad"

// NomadTask names the cgroup Nomad's client created for a task.
type NomadTask struct {
	// CpusetCgroup is LinuxResources.cpuset_cgroup from the task config: on
	// v2 the task's own directory, on v1 only its cpuset directory (shared
	// "share" or per-task "reserve/<alloc>.<task>").
	CpusetCgroup string
	// AllocID and Task name the v1 freezer, cpu, cpuacct, memory and pids
	// directories, which Nomad does not send: <mount>/<Parent>/<AllocID>.<Task>.
	AllocID, Task string
	// Parent is the client's cgroup_parent; empty means DefaultV1Parent.
	// Only v1 uses it.
	Parent string
}

// Join returns the group Nomad created for the task. It fails with an error
// wrapping ErrNotPresent when the host has no cgroups or the path Nomad
// sent does not exist (Nomad sends one even with its cgroup support off).
//
// On v1 the derived per-controller directories that do not exist are
// created (and removed again by Remove): Nomad creates freezer, cpu and
// memory but not cpuacct or pids, and Nomad 1.6 created only the cpuset
// directory.
func (h *Host) Join(t NomadTask) (*Group, error) {
	var g *Group
	var err error
	switch h.mode {
	case ModeV2:
		g, err = h.joinV2(t)
	case ModeV1:
		g, err = h.joinV1(t)
	default:
		return nil, fmt.Errorf("joining task cgroup: host has no cgroup hierarchy at %s: %w", mountRoot, ErrNotPresent)
	}
	if err != nil {
		return nil, fmt.Errorf("joining task cgroup: %w", err)
	}
	if g.oomBase, err = g.oomKills(); err != nil {
		return nil, fmt.Errorf("joining task cgroup: %w", err)
	}
	return g, nil
}

// nomadDir checks that p (a host-absolute path sent by Nomad) is a
// directory below mount, and returns it resolved below the host root.
func (h *Host) nomadDir(p, mount string) (string, error) {
	if p == "" || !path.IsAbs(p) || path.Clean(p) != p {
		return "", fmt.Errorf("cpuset_cgroup %q: want a clean absolute path: %w", p, ErrNotPresent)
	}
	if !within(p, mount) || p == mount {
		return "", fmt.Errorf("cpuset_cgroup %q is not below %s: %w", p, mount, ErrNotPresent)
	}
	dir := h.fsPath(p)
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("cpuset_cgroup %s does not exist: %w", p, ErrNotPresent)
	}
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return "", fmt.Errorf("cpuset_cgroup %s is not a directory", p)
	}
	return dir, nil
}

func (h *Host) joinV2(t NomadTask) (*Group, error) {
	dir, err := h.nomadDir(t.CpusetCgroup, h.unified)
	if err != nil {
		return nil, err
	}
	return &Group{mode: ModeV2, unified: dir}, nil
}

func (h *Host) joinV1(t NomadTask) (*Group, error) {
	cpusetMount, ok := h.v1["cpuset"]
	if !ok {
		return nil, fmt.Errorf("the cpuset controller is not mounted below %s: %w", mountRoot, ErrNotPresent)
	}
	cpusetDir, err := h.nomadDir(t.CpusetCgroup, cpusetMount)
	if err != nil {
		return nil, err
	}
	rel, err := V1TaskDir(t.Parent, t.AllocID, t.Task)
	if err != nil {
		return nil, err
	}
	g := &Group{mode: ModeV1, dirs: map[string]string{"cpuset": cpusetDir}}
	for _, c := range h.Controllers() {
		if c == "cpuset" {
			continue
		}
		dir := h.fsPath(path.Join(h.v1[c], rel))
		created, err := ensureV1Dir(c, h.fsPath(h.v1[c]), dir)
		if err != nil {
			return nil, err
		}
		if created {
			g.created = appendNew(g.created, dir)
		}
		g.dirs[c] = dir
	}
	return g, nil
}

// V1TaskDir derives a task's directory relative to each v1 controller
// mount as Nomad 1.7+ names it: <parent>/<allocID>.<task>, parent
// defaulting to DefaultV1Parent.
func V1TaskDir(parent, allocID, task string) (string, error) {
	if parent == "" {
		parent = DefaultV1Parent
	}
	p, err := cleanParent(parent)
	if err != nil {
		return "", fmt.Errorf("cgroup_parent: %w", err)
	}
	if err := checkName(allocID); err != nil {
		return "", fmt.Errorf("alloc id: %w", err)
	}
	if err := checkName(task); err != nil {
		return "", fmt.Errorf("task name: %w", err)
	}
	return path.Join(p, allocID+"."+task), nil
}

// cleanParent accepts a relative or absolute slash path whose elements
// are all valid names (so no "..", "." or empty elements) and returns it
// relative to a hierarchy's mount; "" and "/" mean the mount itself.
func cleanParent(p string) (string, error) {
	rel := strings.Trim(p, "/")
	if rel == "" {
		return "", nil
	}
	for _, elem := range strings.Split(rel, "/") {
		if err := checkName(elem); err != nil {
			return "", fmt.Errorf("%q: element %w", p, err)
		}
	}
	return rel, nil
}

// checkName accepts one path element usable as a cgroup directory name.
func checkName(n string) error {
	if n == "" || n == "." || n == ".." || path.Base(n) != n || len(n) > 255 {
		return fmt.Errorf("%q: want a non-empty single path element (no \"/\", not \".\" or \"..\")", n)
	}
	return nil
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
