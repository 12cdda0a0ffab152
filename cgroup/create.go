package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Own describes a group the driver creates for itself when Nomad did not
// create one (Nomad's cgroup support off, or a standalone run).
type Own struct {
	// Parent is the directory below each hierarchy's mount that holds the
	// group, e.g. "nomad.slice/pledge.slice" on v2 or "pledge" on v1. Missing
	// parents are created and left in place for the next task.
	Parent string
	// Name is the group's directory name, e.g. "<allocID>.<task>.scope".
	Name string
	// Controllers restricts the controllers used: on v1 the hierarchies the
	// group is created in, on v2 the controllers enabled for it. Empty means
	// every supported one the host offers (v1: freezer cpu cpuacct memory
	// cpuset pids; v2: cpu cpuset io memory pids).
	Controllers []string
}

// v2Controllers are the controllers Create enables for a v2 group.
var v2Controllers = []string{"cpu", "cpuset", "io", "memory", "pids"}

// Create makes the driver's own group. An existing directory of that name
// is adopted only if it holds no processes (a leftover of a crashed
// driver); Remove deletes the group again.
func (h *Host) Create(o Own) (*Group, error) {
	parent, err := cleanParent(o.Parent)
	if err != nil {
		return nil, fmt.Errorf("creating cgroup: parent: %w", err)
	}
	if err := checkName(o.Name); err != nil {
		return nil, fmt.Errorf("creating cgroup: name: %w", err)
	}
	rel := path.Join(parent, o.Name)
	var g *Group
	switch h.mode {
	case ModeV2:
		g, err = h.createV2(rel, o.Controllers)
	case ModeV1:
		g, err = h.createV1(rel, o.Controllers)
	default:
		return nil, fmt.Errorf("creating cgroup: host has no cgroup hierarchy at %s", mountRoot)
	}
	if err != nil {
		return nil, fmt.Errorf("creating cgroup %s: %w", rel, err)
	}
	pids, err := g.Pids()
	if err != nil {
		return nil, fmt.Errorf("creating cgroup %s: %w", rel, err)
	}
	if len(pids) > 0 {
		return nil, fmt.Errorf("creating cgroup %s: it already exists and holds processes %v: remove it or pick another name", rel, pids)
	}
	if g.oomBase, err = g.oomKills(); err != nil {
		return nil, fmt.Errorf("creating cgroup %s: %w", rel, err)
	}
	return g, nil
}

func (h *Host) createV2(rel string, want []string) (*Group, error) {
	if len(want) == 0 {
		want = v2Controllers
	}
	for _, c := range want {
		if !slices.Contains(v2Controllers, c) {
			return nil, fmt.Errorf("controller %q: want one of %v", c, v2Controllers)
		}
	}
	dir := h.fsPath(h.unified)
	for _, elem := range strings.Split(rel, "/") {
		if err := enableControllers(dir, want); err != nil {
			return nil, err
		}
		dir = filepath.Join(dir, elem)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return &Group{mode: ModeV2, unified: dir, created: []string{dir}}, nil
}

// enableControllers turns on, in dir's cgroup.subtree_control, each wanted
// controller that dir's parent offers and that is not on yet. Controllers
// the kernel does not offer are skipped: the limits that need them fail
// later with an error naming the missing file.
func enableControllers(dir string, want []string) error {
	avail, err := readFile(dir, "cgroup.controllers")
	if err != nil {
		return err
	}
	on, err := readFile(dir, "cgroup.subtree_control")
	if err != nil {
		return err
	}
	for _, c := range want {
		if !slices.Contains(strings.Fields(avail), c) || slices.Contains(strings.Fields(on), c) {
			continue
		}
		if err := writeFile(dir, "cgroup.subtree_control", "+"+c); err != nil {
			return fmt.Errorf("enabling the %s controller for the children of %s (a cgroup with processes of its own cannot delegate controllers; use a parent without processes): %w", c, dir, err)
		}
	}
	return nil
}

func (h *Host) createV1(rel string, want []string) (*Group, error) {
	mounted := h.Controllers()
	if len(want) == 0 {
		want = mounted
	}
	g := &Group{mode: ModeV1, dirs: map[string]string{}}
	for _, c := range want {
		if !slices.Contains(mounted, c) {
			return nil, fmt.Errorf("controller %q: want one of the mounted controllers %v", c, mounted)
		}
		dir := h.fsPath(path.Join(h.v1[c], rel))
		if _, err := ensureV1Dir(c, h.fsPath(h.v1[c]), dir); err != nil {
			return nil, err
		}
		g.dirs[c] = dir
		g.created = appendNew(g.created, dir)
	}
	return g, nil
}

// ensureV1Dir creates dir and its missing parents below mount in one v1
// hierarchy and reports whether dir itself was created. New cpuset groups
// start with empty cpuset.cpus and cpuset.mems, and a process cannot join
// such a group (ENOSPC), so each level inherits its parent's values.
func ensureV1Dir(controller, mount, dir string) (created bool, err error) {
	rel, err := filepath.Rel(mount, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return false, fmt.Errorf("%s is not below the %s mount %s", dir, controller, mount)
	}
	cur := mount
	for _, elem := range strings.Split(rel, "/") {
		parent := cur
		cur = filepath.Join(cur, elem)
		err := os.Mkdir(cur, 0o755)
		created = err == nil
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return false, err
		}
		if controller == "cpuset" {
			if err := inheritCpuset(parent, cur); err != nil {
				return false, err
			}
		}
	}
	return created, nil
}

// inheritCpuset copies cpuset.cpus and cpuset.mems from parent into dir
// where dir's are empty.
func inheritCpuset(parent, dir string) error {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := readFile(dir, f)
		if err != nil {
			return err
		}
		if strings.TrimSpace(cur) != "" {
			continue
		}
		val, err := readFile(parent, f)
		if err != nil {
			return err
		}
		if err := writeFile(dir, f, val); err != nil {
			return err
		}
	}
	return nil
}
