package driver

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
)

// unifiedMount is where a pure cgroup v2 host mounts its hierarchy.
const unifiedMount = "/sys/fs/cgroup"

// delegatedControllers are the v2 controllers the driver uses for limits.
var delegatedControllers = []string{"cpu", "cpuset", "memory", "io", "pids"}

// delegation is the cgroup v2 subtree a driver without root may create task
// groups in: the parent of the driver's own cgroup, when it was handed to
// the driver's user (systemd's Delegate=yes with DelegateSubgroup=, or an
// operator's chown), so that the driver sits in a leaf and the task groups
// become its siblings. Both rules of the kernel for an unprivileged move
// then hold: the common ancestor of the driver's and the task's group (the
// delegated parent) has a cgroup.procs the driver may write, and the parent
// holds no processes of its own, so it can hand controllers to children.
type delegation struct {
	// Parent is the delegated directory relative to the unified mount.
	Parent string
	// Controllers are the controllers the parent offers its children.
	Controllers []string
}

// findDelegation returns the delegated subtree of an unprivileged driver
// on a pure v2 host, or nil when there is none: then the driver uses no
// cgroup at all.
func findDelegation(host *cgroup.Host) *delegation {
	if host == nil || host.Mode() != cgroup.ModeV2 {
		return nil
	}
	own, ok := ownV2Cgroup()
	if !ok || own == "/" {
		return nil
	}
	parent := path.Dir(own)
	if parent == "/" {
		return nil
	}
	dir := filepath.Join(unifiedMount, parent)
	for _, p := range []string{dir, filepath.Join(dir, "cgroup.procs"), filepath.Join(dir, "cgroup.subtree_control")} {
		if unix.Access(p, unix.W_OK) != nil {
			return nil
		}
	}
	offered, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return nil
	}
	var controllers []string
	for _, c := range strings.Fields(string(offered)) {
		if slices.Contains(delegatedControllers, c) {
			controllers = append(controllers, c)
		}
	}
	if len(controllers) == 0 {
		return nil
	}
	return &delegation{Parent: strings.TrimPrefix(parent, "/"), Controllers: controllers}
}

// ownV2Cgroup is the driver's cgroup in the unified hierarchy, from the
// "0::" line of /proc/self/cgroup.
func ownV2Cgroup() (string, bool) {
	groups, err := selfCgroups()
	if err != nil {
		return "", false
	}
	p, ok := groups[""]
	return p, ok
}

// limitsWithin drops the limits whose controller the delegation lacks, and
// names them: the kernel has no files to write them to.
func (dl *delegation) limitsWithin(l cgroup.Limits) (cgroup.Limits, []string) {
	var dropped []string
	if !slices.Contains(dl.Controllers, "cpu") && l.CPUShares != 0 {
		l.CPUShares, dropped = 0, append(dropped, "cpu")
	}
	if !slices.Contains(dl.Controllers, "memory") && (l.MemoryBytes != 0 || l.MemoryMaxBytes != 0) {
		l.MemoryBytes, l.MemoryMaxBytes, dropped = 0, 0, append(dropped, "memory")
	}
	if !slices.Contains(dl.Controllers, "cpuset") && l.CpusetCpus != "" {
		l.CpusetCpus, dropped = "", append(dropped, "cpuset")
	}
	return l, dropped
}

// usableCgroup is the cgroup version the driver can place tasks in, which
// is what it reports as driver.pledge.cgroup: the host's as root; for an
// unprivileged driver v2 with a delegated subtree, none otherwise.
func usableCgroup(host *cgroup.Host, root bool) cgroup.Mode {
	switch {
	case host == nil:
		return cgroup.ModeNone
	case root:
		return host.Mode()
	case findDelegation(host) != nil:
		return cgroup.ModeV2
	}
	return cgroup.ModeNone
}
