package cgroup

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// mountRoot is where Nomad's client (and therefore this driver) looks for
// cgroup hierarchies.
const mountRoot = "/sys/fs/cgroup"

// v1Controllers are the cgroup v1 controllers a task group uses, in the
// order processes are added to them: the freezer first so a concurrent Kill
// sees the process as early as possible.
var v1Controllers = []string{"freezer", "cpu", "cpuacct", "memory", "cpuset", "pids"}

// Host is the cgroup layout of one machine (or of a fixture tree in tests).
type Host struct {
	root    string
	mode    Mode
	unified string            // v2: mount point, host-absolute
	v1      map[string]string // v1: controller -> mount point, host-absolute
}

// Detect reads /proc/self/mountinfo and returns the host's cgroup layout.
func Detect() (*Host, error) {
	return DetectAt("/")
}

// DetectAt is Detect with every path resolved below root, so tests can
// describe a host with a fixture tree holding proc/self/mountinfo and the
// cgroup files. Mount points keep their host names: a Host built from
// root "/tmp/x" keeps "/sys/fs/cgroup/cpu" as the cpu mount and reads its
// files from "/tmp/x/sys/fs/cgroup/cpu".
func DetectAt(root string) (*Host, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("cgroup root %q: want an absolute directory", root)
	}
	f, err := os.Open(filepath.Join(root, "proc/self/mountinfo"))
	if err != nil {
		return nil, fmt.Errorf("detecting cgroup layout: %w", err)
	}
	defer f.Close()
	mounts, err := parseMountinfo(f)
	if err != nil {
		return nil, fmt.Errorf("detecting cgroup layout: %w", err)
	}
	h := layoutOf(mounts)
	h.root = filepath.Clean(root)
	return h, nil
}

// layoutOf applies Nomad's rule: the filesystem mounted at /sys/fs/cgroup
// decides the mode (the last mount wins, as it hides earlier ones); on v1
// the controllers come from the cgroup mounts directly below it.
func layoutOf(mounts []mount) *Host {
	h := &Host{mode: ModeNone}
	for _, m := range mounts {
		if m.point != mountRoot {
			continue
		}
		switch m.fstype {
		case "tmpfs":
			h.mode = ModeV1
		case "cgroup2":
			h.mode = ModeV2
		default:
			h.mode = ModeNone
		}
	}
	switch h.mode {
	case ModeV2:
		h.unified = mountRoot
	case ModeV1:
		h.v1 = v1Mounts(mounts)
	}
	return h
}

// v1Mounts maps each controller of interest to the first cgroup v1 mount
// directly below /sys/fs/cgroup that carries it. Co-mounted controllers
// ("cpu,cpuacct") map to the same directory.
func v1Mounts(mounts []mount) map[string]string {
	found := map[string]string{}
	for _, m := range mounts {
		if m.fstype != "cgroup" || filepath.Dir(m.point) != mountRoot {
			continue
		}
		for _, opt := range m.superOpts {
			if _, dup := found[opt]; !dup && slices.Contains(v1Controllers, opt) {
				found[opt] = m.point
			}
		}
	}
	return found
}

// Mode is the host's cgroup layout.
func (h *Host) Mode() Mode { return h.mode }

// Controllers lists the v1 controllers of interest that are mounted, in the
// order AddProc uses; it is empty on v2 and on hosts without cgroups.
func (h *Host) Controllers() []string {
	var out []string
	for _, c := range v1Controllers {
		if _, ok := h.v1[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// fsPath turns a host-absolute path into the path to open, below h.root.
func (h *Host) fsPath(p string) string {
	return filepath.Join(h.root, p)
}

// within reports whether the clean host-absolute path p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}
