package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSharesToWeight(t *testing.T) {
	tests := []struct{ shares, weight uint64 }{
		{2, 1},
		{3, 1},
		{100, 4},
		{1024, 39},
		{2048, 79},
		{262144, 10000},
	}
	for _, tt := range tests {
		if got := SharesToWeight(tt.shares); got != tt.weight {
			t.Errorf("SharesToWeight(%d) = %d, want %d", tt.shares, got, tt.weight)
		}
	}
}

func TestLimitsValidate(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name string
		l    Limits
		want string // "" = valid
	}{
		{"zero value changes nothing", Limits{}, ""},
		{"everything", Limits{CPUShares: 1024, CPUQuotaMicros: 150000, CPUPeriodMicros: 100000, MemoryBytes: 256 * mib, MemoryMaxBytes: 512 * mib, CpusetCpus: "0-1,3"}, ""},
		{"unlimited max", Limits{MemoryBytes: 256 * mib, MemoryMaxBytes: -1}, ""},
		{"shares too small", Limits{CPUShares: 1}, "cpu_shares 1"},
		{"shares too large", Limits{CPUShares: 262145}, "cpu_shares 262145"},
		{"quota too small", Limits{CPUQuotaMicros: 999}, "cpu quota"},
		{"period too large", Limits{CPUQuotaMicros: 1000, CPUPeriodMicros: 1000001}, "cpu period"},
		{"negative memory", Limits{MemoryBytes: -5}, "memory -5"},
		{"max below memory", Limits{MemoryBytes: 256 * mib, MemoryMaxBytes: 128 * mib}, "memory_max"},
		{"max below -1", Limits{MemoryBytes: 256 * mib, MemoryMaxBytes: -2}, "memory_max -2"},
		{"max without memory", Limits{MemoryMaxBytes: 128 * mib}, "memory_max needs memory"},
		{"cpu list letters", Limits{CpusetCpus: "a"}, "cpuset_cpus"},
		{"cpu list descending", Limits{CpusetCpus: "3-1"}, "cpuset_cpus"},
		{"cpu list empty element", Limits{CpusetCpus: "0,,1"}, "cpuset_cpus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.l.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// touch creates empty interface files in dir.
func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// contents reads back every file written, by name relative to dir.
func contents(t *testing.T, dir string, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = string(b)
	}
	return out
}

func TestSetLimitsV2(t *testing.T) {
	files := []string{"cpu.weight", "cpu.max", "memory.max", "memory.low", "cpuset.cpus"}
	tests := []struct {
		name string
		l    Limits
		want map[string]string
	}{
		{"nothing", Limits{}, map[string]string{"cpu.weight": "", "cpu.max": "", "memory.max": "", "memory.low": "", "cpuset.cpus": ""}},
		{
			"hard memory",
			Limits{CPUShares: 1024, MemoryBytes: 64 << 20},
			map[string]string{"cpu.weight": "39", "cpu.max": "", "memory.max": "67108864", "memory.low": "", "cpuset.cpus": ""},
		},
		{
			"oversubscribed with quota and cores",
			Limits{CPUShares: 2, CPUQuotaMicros: 50000, MemoryBytes: 64 << 20, MemoryMaxBytes: 128 << 20, CpusetCpus: "1"},
			map[string]string{"cpu.weight": "1", "cpu.max": "50000 100000", "memory.max": "134217728", "memory.low": "67108864", "cpuset.cpus": "1"},
		},
		{
			"unlimited max",
			Limits{CPUQuotaMicros: 20000, CPUPeriodMicros: 10000, MemoryBytes: 1 << 20, MemoryMaxBytes: -1},
			map[string]string{"cpu.weight": "", "cpu.max": "20000 10000", "memory.max": "max", "memory.low": "1048576", "cpuset.cpus": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			touch(t, dir, files...)
			g, err := Reopen(State{Mode: ModeV2, Unified: dir})
			if err != nil {
				t.Fatal(err)
			}
			if err := g.SetLimits(tt.l); err != nil {
				t.Fatalf("SetLimits: %v", err)
			}
			got := contents(t, dir, files...)
			for f, w := range tt.want {
				if got[f] != w {
					t.Errorf("%s = %q, want %q", f, got[f], w)
				}
			}
		})
	}
}

func TestSetLimitsV1(t *testing.T) {
	files := []string{
		"cpu/cpu.shares", "cpu/cpu.cfs_period_us", "cpu/cpu.cfs_quota_us",
		"memory/memory.limit_in_bytes", "memory/memory.soft_limit_in_bytes",
		"own/cpuset.cpus", "share/cpuset.cpus",
	}
	tests := []struct {
		name   string
		cpuset string
		l      Limits
		want   map[string]string
	}{
		{
			"own cpuset",
			"own",
			Limits{CPUShares: 512, CPUQuotaMicros: 250000, MemoryBytes: 64 << 20, MemoryMaxBytes: -1, CpusetCpus: "0-1"},
			map[string]string{
				"cpu/cpu.shares": "512", "cpu/cpu.cfs_period_us": "100000", "cpu/cpu.cfs_quota_us": "250000",
				"memory/memory.limit_in_bytes": "-1", "memory/memory.soft_limit_in_bytes": "67108864",
				"own/cpuset.cpus": "0-1",
			},
		},
		{
			"Nomad's shared pool is left alone",
			"share",
			Limits{MemoryBytes: 64 << 20, CpusetCpus: "0-1"},
			map[string]string{
				"cpu/cpu.shares": "", "memory/memory.limit_in_bytes": "67108864", "memory/memory.soft_limit_in_bytes": "",
				"share/cpuset.cpus": "",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			touch(t, root, files...)
			s := State{Mode: ModeV1, Controllers: map[string]string{
				"cpu":    filepath.Join(root, "cpu"),
				"memory": filepath.Join(root, "memory"),
				"cpuset": filepath.Join(root, tt.cpuset),
			}}
			if tt.cpuset == "own" {
				s.Created = []string{s.Controllers["cpuset"]}
			}
			g, err := Reopen(s)
			if err != nil {
				t.Fatal(err)
			}
			if err := g.SetLimits(tt.l); err != nil {
				t.Fatalf("SetLimits: %v", err)
			}
			got := contents(t, root, files...)
			for f, w := range tt.want {
				if got[f] != w {
					t.Errorf("%s = %q, want %q", f, got[f], w)
				}
			}
		})
	}
}

func TestSetLimitsErrors(t *testing.T) {
	root := t.TempDir()
	touch(t, root, "cpu/cpu.shares")
	g, err := Reopen(State{Mode: ModeV1, Controllers: map[string]string{"cpu": filepath.Join(root, "cpu")}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		l    Limits
		want string
	}{
		{Limits{CPUShares: 1}, "cpu_shares"},
		{Limits{MemoryBytes: 1 << 20}, "v1 memory controller"},
		{Limits{CpusetCpus: "0"}, "v1 cpuset controller"},
	}
	for _, tt := range tests {
		if err := g.SetLimits(tt.l); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SetLimits(%+v) = %v, want an error naming %q", tt.l, err, tt.want)
		}
	}
	v2, err := Reopen(State{Mode: ModeV2, Unified: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := v2.SetLimits(Limits{MemoryBytes: 1 << 20}); err == nil || !strings.Contains(err.Error(), "memory.max") {
		t.Errorf("SetLimits without memory.max = %v, want an error naming memory.max", err)
	}
}
