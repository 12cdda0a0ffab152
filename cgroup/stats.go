package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
)

// Stats is one sample of a group's resource usage.
type Stats struct {
	CPU    CPUStats
	Memory MemoryStats
}

// CPUStats is cumulative CPU time in nanoseconds; the driver turns it into
// ticks and a percentage between samples.
type CPUStats struct {
	UserNanos, SystemNanos, TotalNanos uint64
	// ThrottledPeriods and ThrottledNanos count enforcement periods in which
	// the CPU quota stopped the group, and the time it stood still.
	ThrottledPeriods, ThrottledNanos uint64
	// Measured names the fields the kernel provided, in Nomad's spelling
	// ("System Mode", "User Mode", "Throttled Periods", "Throttled Time").
	Measured []string
}

// MemoryStats is current memory use in bytes.
type MemoryStats struct {
	// RSS is anonymous memory (v2 anon, v1 rss), Cache the page cache (v2
	// file, v1 cache), Usage all charged memory, Swap the swap in use and
	// MaxUsage the peak of Usage.
	RSS, Cache, Swap, Usage, MaxUsage uint64
	// Measured names the fields the kernel provided, in Nomad's spelling
	// ("RSS", "Cache", "Swap", "Usage", "Max Usage").
	Measured []string
}

// Stats reads the group's CPU and memory counters. Counters the kernel does
// not offer (a controller not enabled, an older kernel without
// memory.peak) are left zero and absent from Measured.
func (g *Group) Stats() (Stats, error) {
	var s Stats
	var err error
	if g.mode == ModeV2 {
		err = g.statsV2(&s)
	} else {
		err = g.statsV1(&s)
	}
	if err != nil {
		return Stats{}, fmt.Errorf("reading cgroup stats: %w", err)
	}
	return s, nil
}

// sample collects counters, treating a missing file as "not measured".
type sample struct {
	measured *[]string
	err      error
}

// keyed reads a flat keyed file; ok is false when it does not exist.
func (p *sample) keyed(dir, file string) (m map[string]uint64, ok bool) {
	if p.err != nil || dir == "" {
		return nil, false
	}
	m, err := readKeyed(dir, file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	p.err = err
	return m, err == nil
}

// number reads a one-number file into *dst and records name as measured.
func (p *sample) number(dir, file, name string, dst *uint64) bool {
	if p.err != nil || dir == "" {
		return false
	}
	v, err := readUint(dir, file)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if p.err = err; err != nil {
		return false
	}
	*dst = v
	if name != "" {
		*p.measured = append(*p.measured, name)
	}
	return true
}

// field copies key from m into *dst, scaled, and records name as measured.
func (p *sample) field(m map[string]uint64, key string, scale uint64, name string, dst *uint64) bool {
	v, ok := m[key]
	if !ok {
		return false
	}
	*dst = v * scale
	if name != "" {
		*p.measured = append(*p.measured, name)
	}
	return true
}

func (g *Group) statsV2(s *Stats) error {
	cpu := &sample{measured: &s.CPU.Measured}
	if m, ok := cpu.keyed(g.unified, "cpu.stat"); ok {
		cpu.field(m, "system_usec", 1000, "System Mode", &s.CPU.SystemNanos)
		cpu.field(m, "user_usec", 1000, "User Mode", &s.CPU.UserNanos)
		cpu.field(m, "usage_usec", 1000, "", &s.CPU.TotalNanos)
		cpu.field(m, "nr_throttled", 1, "Throttled Periods", &s.CPU.ThrottledPeriods)
		cpu.field(m, "throttled_usec", 1000, "Throttled Time", &s.CPU.ThrottledNanos)
	}
	mem := &sample{measured: &s.Memory.Measured}
	if m, ok := mem.keyed(g.unified, "memory.stat"); ok {
		mem.field(m, "anon", 1, "RSS", &s.Memory.RSS)
		mem.field(m, "file", 1, "Cache", &s.Memory.Cache)
	}
	mem.number(g.unified, "memory.swap.current", "Swap", &s.Memory.Swap)
	mem.number(g.unified, "memory.current", "Usage", &s.Memory.Usage)
	mem.number(g.unified, "memory.peak", "Max Usage", &s.Memory.MaxUsage)
	return errors.Join(cpu.err, mem.err)
}

// userHZ is the unit of v1 cpuacct.stat (USER_HZ, 100 on every Linux ABI).
const userHZ = 100

func (g *Group) statsV1(s *Stats) error {
	cpu := &sample{measured: &s.CPU.Measured}
	acct := g.dirs["cpuacct"]
	cpu.number(acct, "cpuacct.usage", "", &s.CPU.TotalNanos)
	user := cpu.number(acct, "cpuacct.usage_user", "User Mode", &s.CPU.UserNanos)
	sys := cpu.number(acct, "cpuacct.usage_sys", "System Mode", &s.CPU.SystemNanos)
	if !user || !sys {
		s.CPU.Measured = nil
		if m, ok := cpu.keyed(acct, "cpuacct.stat"); ok {
			cpu.field(m, "system", 1e9/userHZ, "System Mode", &s.CPU.SystemNanos)
			cpu.field(m, "user", 1e9/userHZ, "User Mode", &s.CPU.UserNanos)
		}
	}
	if m, ok := cpu.keyed(g.dirs["cpu"], "cpu.stat"); ok {
		cpu.field(m, "nr_throttled", 1, "Throttled Periods", &s.CPU.ThrottledPeriods)
		cpu.field(m, "throttled_time", 1, "Throttled Time", &s.CPU.ThrottledNanos)
	}
	mem := &sample{measured: &s.Memory.Measured}
	dir := g.dirs["memory"]
	if m, ok := mem.keyed(dir, "memory.stat"); ok {
		mem.field(m, "rss", 1, "RSS", &s.Memory.RSS)
		mem.field(m, "cache", 1, "Cache", &s.Memory.Cache)
	}
	mem.number(dir, "memory.usage_in_bytes", "Usage", &s.Memory.Usage)
	// memsw counts memory plus swap; it exists only with swap accounting.
	var memsw uint64
	if mem.number(dir, "memory.memsw.usage_in_bytes", "", &memsw) {
		s.Memory.Swap = memsw - min(memsw, s.Memory.Usage)
		s.Memory.Measured = append(s.Memory.Measured, "Swap")
	}
	mem.number(dir, "memory.max_usage_in_bytes", "Max Usage", &s.Memory.MaxUsage)
	return errors.Join(cpu.err, mem.err)
}
