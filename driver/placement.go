package driver

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

// ownParent is where the driver creates task cgroups Nomad did not create,
// below the unified hierarchy's root.
const ownParent = "pledge.slice"

// ownV1Parent is where the driver creates them below each v1 hierarchy's
// root, beside Nomad's /nomad.
const ownV1Parent = "pledge"

// mib is one MiB in bytes.
const mib = 1 << 20

// placement is the cgroup a task is started in.
type placement struct {
	group *cgroup.Group
	// own: the driver created the group, or some of its directories (the
	// v1 cpuacct and pids directories Nomad does not make), and removes
	// them when the task is destroyed. Group.Remove deletes only those, so
	// Nomad's own directories stay for Nomad to remove.
	own bool
	// degraded explains, for a task event, why the task runs without a
	// cgroup; empty when it has one.
	degraded string
}

// placeTask finds or creates the task's cgroup and writes its limits. The
// group Nomad created is joined when present. Otherwise the driver creates
// its own where it may (see createOwnGroup); where it may not, the task
// runs without one and an event says why.
func (d *Driver) placeTask(cfg *nomadplugin.TaskConfig, spec *taskSpec) (*placement, error) {
	if d.uid != 0 {
		return d.placeRootless(cfg, spec)
	}
	if d.cgroups == nil || d.cgroups.Mode() == cgroup.ModeNone {
		return &placement{degraded: "no cgroup hierarchy: CPU and memory limits are not enforced and stats come from /proc"}, nil
	}
	g, err := d.cgroups.Join(cgroup.NomadTask{
		CpusetCgroup: cpusetCgroup(cfg),
		AllocID:      cfg.AllocID,
		Task:         cfg.Name,
		Parent:       cfg.Env["NOMAD_PARENT_CGROUP"],
	})
	if errors.Is(err, cgroup.ErrNotPresent) {
		var why string
		if g, why, err = d.createOwnGroup(cfg); g == nil && err == nil {
			return &placement{degraded: "the agent created no cgroup for the task and the driver does not create one here (" + why + "): limits are not enforced and stats come from /proc"}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	own := len(g.State().Created) > 0
	if err := g.SetLimits(taskLimits(cfg.Resources, spec.Importance)); err != nil {
		if own {
			g.Remove()
		}
		return nil, fmt.Errorf("cgroup limits: %w", err)
	}
	return &placement{group: g, own: own}, nil
}

// createOwnGroup makes the driver's own group when Nomad sent none, or
// says why it may not. On v2 it always may: the task is cloned straight
// into a new group below pledge.slice. On v1 it may only while the driver
// itself sits in the root group of every hierarchy the group would use
// (a pure v1 host whose agent runs unconfined, as in the test VM): then
// the task leaves no group the operator put the agent in. On a hybrid or
// systemd host the agent's service has memory and cpu groups of its own
// (memory:/system.slice/nomad.service); a /pledge group beside them would
// take the task out of the service's memory limit and accounting, which
// nobody asked for, so the task stays in the driver's groups instead.
func (d *Driver) createOwnGroup(cfg *nomadplugin.TaskConfig) (*cgroup.Group, string, error) {
	parent, name := ownParent, ownGroupName(cfg)
	if d.cgroups.Mode() == cgroup.ModeV1 {
		if why := v1Confinement(d.cgroups.Controllers()); why != "" {
			return nil, why, nil
		}
		parent, name = ownV1Parent, cfg.AllocID+"."+cfg.Name
	}
	g, err := d.cgroups.Create(cgroup.Own{Parent: parent, Name: name})
	if err != nil {
		return nil, "", err
	}
	return g, "", nil
}

// v1Confinement names the first v1 hierarchy in which the driver is not
// in the root group, "" when it is in the root of all of them.
func v1Confinement(controllers []string) string {
	groups, err := selfCgroups()
	if err != nil {
		return fmt.Sprintf("its own cgroups are unknown: %v", err)
	}
	for _, c := range controllers {
		if p, ok := groups[c]; ok && p != "/" {
			return fmt.Sprintf("the driver runs in the v1 %s cgroup %s, which a group of its own would take the task out of", c, p)
		}
	}
	return ""
}

// placeRootless places the task of a driver without root: in a group of
// its own in the subtree delegated to the driver, or, without one, in no
// cgroup at all. Nomad's groups belong to root and are never joined.
func (d *Driver) placeRootless(cfg *nomadplugin.TaskConfig, spec *taskSpec) (*placement, error) {
	dl := d.delegated
	if dl == nil {
		return &placement{degraded: "the driver runs without root and no cgroup v2 subtree is delegated to it: CPU and memory limits are not enforced, stats come from /proc"}, nil
	}
	g, err := d.cgroups.Create(cgroup.Own{Parent: path.Join(dl.Parent, ownParent), Name: ownGroupName(cfg), Controllers: dl.Controllers})
	if err != nil {
		return nil, fmt.Errorf("cgroup in the delegated subtree /%s: %w", dl.Parent, err)
	}
	limits, dropped := dl.limitsWithin(taskLimits(cfg.Resources, spec.Importance))
	if err := g.SetLimits(limits); err != nil {
		g.Remove()
		return nil, fmt.Errorf("cgroup limits: %w", err)
	}
	p := &placement{group: g, own: true}
	if len(dropped) > 0 {
		p.degraded = fmt.Sprintf("the delegated cgroup subtree /%s offers no %s controller: those limits are not enforced", dl.Parent, strings.Join(dropped, ", "))
	}
	return p, nil
}

// ownGroupName names a driver-made group like Nomad names its own.
func ownGroupName(cfg *nomadplugin.TaskConfig) string {
	return cfg.AllocID + "." + cfg.Name + ".scope"
}

func cpusetCgroup(cfg *nomadplugin.TaskConfig) string {
	if cfg.Resources == nil || cfg.Resources.Linux == nil {
		return ""
	}
	return cfg.Resources.Linux.CpusetCgroup
}

// taskLimits converts the agent's resources to cgroup limits: CPU shares
// (scaled by importance), memory (with memory_max the hard limit and memory
// the protected amount) and reserved cores.
func taskLimits(r *nomadplugin.Resources, imp importance) cgroup.Limits {
	if r == nil {
		return cgroup.Limits{}
	}
	var l cgroup.Limits
	shares := r.CPUShares
	if r.Linux != nil && r.Linux.CPUShares > 0 {
		shares = r.Linux.CPUShares
	}
	if shares > 0 {
		l.CPUShares = uint64(min(imp.scaleShares(shares), cgroup.MaxShares))
	}
	if r.MemoryMB > 0 {
		l.MemoryBytes = r.MemoryMB * mib
	}
	switch {
	case r.MemoryMaxMB == -1:
		l.MemoryMaxBytes = -1
	case r.MemoryMaxMB > r.MemoryMB:
		l.MemoryMaxBytes = r.MemoryMaxMB * mib
	}
	if r.Linux != nil {
		l.CpusetCpus = r.Linux.CpusetCPUs
	}
	return l
}
