package cgroup

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Limits are the resource limits of a task, in Nomad's units.
type Limits struct {
	// CPUShares is Nomad's cpu_shares (the task's MHz, or its importance
	// weight): v1 cpu.shares, v2 cpu.weight via SharesToWeight. 0 leaves the
	// weight alone; otherwise 2 to 262144.
	CPUShares uint64
	// CPUQuotaMicros and CPUPeriodMicros are a hard CPU cap: the group may
	// run CPUQuotaMicros per CPUPeriodMicros (v2 cpu.max, v1
	// cpu.cfs_quota_us and cpu.cfs_period_us), e.g. 200000/100000 for two
	// cores. Quota 0 leaves the cap alone; period 0 means 100000.
	CPUQuotaMicros  uint64
	CPUPeriodMicros uint64
	// MemoryBytes is Nomad's memory: the hard limit, or with MemoryMaxBytes
	// set the amount the kernel protects and reclaims down to (v2
	// memory.low, v1 memory.soft_limit_in_bytes). 0 leaves memory alone.
	MemoryBytes int64
	// MemoryMaxBytes is Nomad's memory_max (oversubscription): the hard
	// limit (v2 memory.max, v1 memory.limit_in_bytes); -1 is unlimited, 0
	// unset. It must not be below MemoryBytes.
	MemoryMaxBytes int64
	// CpusetCpus is the task's cores ("0-1,3"); empty leaves them alone.
	// On v1 it is written only to a per-task cpuset directory, never to
	// Nomad's shared pool.
	CpusetCpus string
}

// CPU weight and share bounds of the kernel interfaces.
const (
	MinShares      = 2
	MaxShares      = 262144
	MinWeight      = 1
	MaxWeight      = 10000
	DefaultPeriod  = 100000
	minQuotaMicros = 1000
	maxPeriod      = 1000000
)

// SharesToWeight converts v1 cpu.shares to v2 cpu.weight with runc's (and
// Nomad's) mapping, 2..262144 onto 1..10000, so the same job gets the same
// relative CPU share on either version.
func SharesToWeight(shares uint64) uint64 {
	return MinWeight + (shares-MinShares)*(MaxWeight-MinWeight)/(MaxShares-MinShares)
}

// Validate checks every field and names the bad one with the accepted
// values, before anything is written.
func (l Limits) Validate() error {
	var errs []error
	if l.CPUShares != 0 && (l.CPUShares < MinShares || l.CPUShares > MaxShares) {
		errs = append(errs, fmt.Errorf("cpu_shares %d: want 0 (unset) or %d to %d", l.CPUShares, MinShares, MaxShares))
	}
	if l.CPUQuotaMicros != 0 && l.CPUQuotaMicros < minQuotaMicros {
		errs = append(errs, fmt.Errorf("cpu quota %dµs: want 0 (no cap) or at least %dµs", l.CPUQuotaMicros, minQuotaMicros))
	}
	if l.CPUPeriodMicros != 0 && (l.CPUPeriodMicros < minQuotaMicros || l.CPUPeriodMicros > maxPeriod) {
		errs = append(errs, fmt.Errorf("cpu period %dµs: want 0 (default %d) or %d to %d", l.CPUPeriodMicros, DefaultPeriod, minQuotaMicros, maxPeriod))
	}
	if l.MemoryBytes < 0 {
		errs = append(errs, fmt.Errorf("memory %d: want 0 (unset) or a positive number of bytes", l.MemoryBytes))
	}
	if l.MemoryMaxBytes < -1 || (l.MemoryMaxBytes > 0 && l.MemoryMaxBytes < l.MemoryBytes) {
		errs = append(errs, fmt.Errorf("memory_max %d: want -1 (unlimited), 0 (unset) or at least memory (%d)", l.MemoryMaxBytes, l.MemoryBytes))
	}
	if l.MemoryMaxBytes != 0 && l.MemoryBytes == 0 {
		errs = append(errs, errors.New("memory_max needs memory: set memory as well"))
	}
	if err := checkCPUList(l.CpusetCpus); err != nil {
		errs = append(errs, fmt.Errorf("cpuset_cpus: %w", err))
	}
	return errors.Join(errs...)
}

// checkCPUList accepts the kernel's cpu list syntax: comma-separated
// numbers and ascending ranges ("0-3,6").
func checkCPUList(s string) error {
	if s == "" {
		return nil
	}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b, err2 := strconv.ParseUint(hi, 10, 16)
		if err1 != nil || (isRange && (err2 != nil || b < a)) {
			return fmt.Errorf("%q: want comma-separated cpu numbers or ascending ranges like \"0-3,6\"", s)
		}
	}
	return nil
}

// SetLimits validates l and writes it to the group.
func (g *Group) SetLimits(l Limits) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("cgroup limits: %w", err)
	}
	var err error
	if g.mode == ModeV2 {
		err = g.setV2(l)
	} else {
		err = g.setV1(l)
	}
	if err != nil {
		return fmt.Errorf("cgroup limits: %w", err)
	}
	return nil
}

// memoryPlan resolves Nomad's memory and memory_max into a hard limit
// ("" = leave alone, "max" = none) and a soft one ("" = leave alone).
func (l Limits) memoryPlan() (hard, soft string) {
	switch {
	case l.MemoryMaxBytes == -1:
		return "max", strconv.FormatInt(l.MemoryBytes, 10)
	case l.MemoryMaxBytes > 0:
		return strconv.FormatInt(l.MemoryMaxBytes, 10), strconv.FormatInt(l.MemoryBytes, 10)
	case l.MemoryBytes > 0:
		return strconv.FormatInt(l.MemoryBytes, 10), ""
	}
	return "", ""
}

func (l Limits) period() uint64 {
	if l.CPUPeriodMicros == 0 {
		return DefaultPeriod
	}
	return l.CPUPeriodMicros
}

func (g *Group) setV2(l Limits) error {
	var w []write
	if l.CPUShares != 0 {
		w = append(w, write{g.unified, "cpu.weight", strconv.FormatUint(SharesToWeight(l.CPUShares), 10)})
	}
	if l.CPUQuotaMicros != 0 {
		w = append(w, write{g.unified, "cpu.max", fmt.Sprintf("%d %d", l.CPUQuotaMicros, l.period())})
	}
	hard, soft := l.memoryPlan()
	if soft != "" {
		w = append(w, write{g.unified, "memory.low", soft})
	}
	if hard != "" {
		w = append(w, write{g.unified, "memory.max", hard})
	}
	if l.CpusetCpus != "" {
		w = append(w, write{g.unified, "cpuset.cpus", l.CpusetCpus})
	}
	return apply(w)
}

func (g *Group) setV1(l Limits) error {
	var w []write
	cpu, hasCPU := g.dirs["cpu"]
	if l.CPUShares != 0 || l.CPUQuotaMicros != 0 {
		if !hasCPU {
			return errors.New("cpu limits need the v1 cpu controller, which this group has no directory in")
		}
	}
	if l.CPUShares != 0 {
		w = append(w, write{cpu, "cpu.shares", strconv.FormatUint(l.CPUShares, 10)})
	}
	if l.CPUQuotaMicros != 0 {
		w = append(w,
			write{cpu, "cpu.cfs_period_us", strconv.FormatUint(l.period(), 10)},
			write{cpu, "cpu.cfs_quota_us", strconv.FormatUint(l.CPUQuotaMicros, 10)})
	}
	hard, soft := l.memoryPlan()
	if hard != "" {
		mem, ok := g.dirs["memory"]
		if !ok {
			return errors.New("memory limits need the v1 memory controller, which this group has no directory in")
		}
		if hard == "max" {
			hard = "-1"
		}
		w = append(w, write{mem, "memory.limit_in_bytes", hard})
		if soft != "" {
			w = append(w, write{mem, "memory.soft_limit_in_bytes", soft})
		}
	}
	if l.CpusetCpus != "" {
		dir, ok := g.dirs["cpuset"]
		if !ok {
			return errors.New("cpuset_cpus needs the v1 cpuset controller, which this group has no directory in")
		}
		if g.ownsCpuset() {
			w = append(w, write{dir, "cpuset.cpus", l.CpusetCpus})
		}
	}
	return apply(w)
}

// ownsCpuset reports whether the v1 cpuset directory belongs to this task
// alone: created here, or named like the task's other directories (Nomad's
// reserve/<alloc>.<task>). Nomad's shared pool ("share") holds every task
// without reserved cores and Nomad itself keeps its cpus up to date, so it
// is never written.
func (g *Group) ownsCpuset() bool {
	dir := g.dirs["cpuset"]
	if slices.Contains(g.created, dir) {
		return true
	}
	for c, d := range g.dirs {
		if c != "cpuset" && filepath.Base(d) == filepath.Base(dir) {
			return true
		}
	}
	return false
}

// write is one pending interface-file write.
type write struct{ dir, file, value string }

func apply(ws []write) error {
	for _, w := range ws {
		if err := writeFile(w.dir, w.file, w.value); err != nil {
			return err
		}
	}
	return nil
}
