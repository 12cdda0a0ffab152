package driver

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

// TaskStats samples the task's CPU and memory use every interval, from its
// cgroup or, for a task without one, from /proc; the usage of each of the
// task's processes always comes from /proc.
func (d *Driver) TaskStats(ctx context.Context, id string, interval time.Duration) (<-chan nomadplugin.TaskStats, error) {
	h, err := d.task(id)
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		interval = time.Second
	}
	mhz := d.coreMHz()
	ch := make(chan nomadplugin.TaskStats, 1)
	go func() {
		defer close(ch)
		t := time.NewTicker(interval)
		defer t.Stop()
		pids := pidSamplers{}
		for {
			s, err := d.sample(h, mhz, pids)
			if err != nil {
				d.log.Debug("task stats", "task_id", id, "error", err)
			} else {
				select {
				case ch <- s:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			case <-h.done:
				return
			}
		}
	}()
	return ch, nil
}

// sample takes one measurement: the task's totals, and each process's
// usage. The processes are the cgroup's members, or init and its
// descendants for a task without a cgroup.
func (d *Driver) sample(h *taskHandle, mhz float64, pids pidSamplers) (nomadplugin.TaskStats, error) {
	now := time.Now()
	st, procs, err := taskUsage(h)
	if err != nil {
		return nomadplugin.TaskStats{}, err
	}
	return nomadplugin.TaskStats{
		ID:        h.cfg.ID,
		Timestamp: now,
		Usage: nomadplugin.ResourceUsage{
			CPU:    h.stats.cpu(now, st.CPU, mhz),
			Memory: memoryUsage(st.Memory),
		},
		ByPID: pids.usage(now, procs, mhz),
	}, nil
}

// taskUsage reads the task's totals and its processes' stat lines.
func taskUsage(h *taskHandle) (cgroup.Stats, map[int]procStat, error) {
	if h.group == nil {
		procs, err := procTree(h.state.InitPID)
		if err != nil {
			return cgroup.Stats{}, nil, err
		}
		return sumProcStats(procs), procs, nil
	}
	st, err := h.group.Stats()
	if err != nil {
		return cgroup.Stats{}, nil, err
	}
	members, err := h.group.Pids()
	if err != nil {
		return cgroup.Stats{}, nil, err
	}
	return st, readProcStats(members), nil
}

// cpuSampler turns cumulative CPU time into Nomad's percent and ticks, which
// are rates between two samples.
type cpuSampler struct {
	mu        sync.Mutex
	lastAt    time.Time
	lastNanos uint64
}

// cpu converts a sample. Percent is of one core (200 = two cores busy), and
// ticks are that share of one core's MHz, as Nomad's own drivers report.
func (s *cpuSampler) cpu(now time.Time, c cgroup.CPUStats, mhz float64) nomadplugin.CPUUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := nomadplugin.CPUUsage{
		UserMode:         float64(c.UserNanos),
		SystemMode:       float64(c.SystemNanos),
		ThrottledPeriods: c.ThrottledPeriods,
		ThrottledTime:    c.ThrottledNanos,
		Measured:         cpuMeasured(c.Measured) | nomadplugin.CPUPercent | nomadplugin.CPUTotalTicks,
	}
	if !s.lastAt.IsZero() && now.After(s.lastAt) && c.TotalNanos >= s.lastNanos {
		u.Percent = float64(c.TotalNanos-s.lastNanos) / float64(now.Sub(s.lastAt).Nanoseconds()) * 100
		u.TotalTicks = u.Percent / 100 * mhz
	}
	s.lastAt, s.lastNanos = now, c.TotalNanos
	return u
}

// cpuMeasured maps cgroup's measured field names to Nomad's field set.
func cpuMeasured(names []string) nomadplugin.CPUFields {
	var f nomadplugin.CPUFields
	for _, n := range names {
		switch n {
		case "System Mode":
			f |= nomadplugin.CPUSystemMode
		case "User Mode":
			f |= nomadplugin.CPUUserMode
		case "Throttled Periods":
			f |= nomadplugin.CPUThrottledPeriods
		case "Throttled Time":
			f |= nomadplugin.CPUThrottledTime
		}
	}
	return f
}

// memoryUsage converts cgroup memory stats.
func memoryUsage(m cgroup.MemoryStats) nomadplugin.MemoryUsage {
	u := nomadplugin.MemoryUsage{RSS: m.RSS, Cache: m.Cache, Swap: m.Swap, Usage: m.Usage, MaxUsage: m.MaxUsage}
	for _, n := range m.Measured {
		switch n {
		case "RSS":
			u.Measured |= nomadplugin.MemoryRSS
		case "Cache":
			u.Measured |= nomadplugin.MemoryCache
		case "Swap":
			u.Measured |= nomadplugin.MemorySwap
		case "Usage":
			u.Measured |= nomadplugin.MemoryUsageField
		case "Max Usage":
			u.Measured |= nomadplugin.MemoryMaxUsage
		}
	}
	return u
}

// coreMHz is the speed of one core, for CPU ticks: from the agent's
// topology when it sent one, else from /proc/cpuinfo.
func (d *Driver) coreMHz() float64 {
	d.mu.RLock()
	agent := d.agent
	d.mu.RUnlock()
	if agent != nil && agent.Topology != nil {
		for _, c := range agent.Topology.Cores {
			for _, s := range []uint64{c.GuessSpeed, c.BaseSpeed, c.MaxSpeed} {
				if s > 0 {
					return float64(s)
				}
			}
		}
	}
	if mhz, err := cpuinfoMHz(); err == nil {
		return mhz
	}
	return 1000
}

// errNoMHz: /proc/cpuinfo has no "cpu MHz" line (some arm64 kernels).
var errNoMHz = fmt.Errorf("/proc/cpuinfo has no cpu MHz line")
