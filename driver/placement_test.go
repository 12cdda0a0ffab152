package driver

import (
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

func TestTaskLimits(t *testing.T) {
	tests := []struct {
		name string
		r    *nomadplugin.Resources
		imp  importance
		want cgroup.Limits
	}{
		{"none", nil, importanceNormal, cgroup.Limits{}},
		{"cpu and memory", &nomadplugin.Resources{CPUShares: 100, MemoryMB: 64}, importanceNormal,
			cgroup.Limits{CPUShares: 100, MemoryBytes: 64 << 20}},
		{"linux shares win", &nomadplugin.Resources{CPUShares: 100, Linux: &nomadplugin.LinuxResources{CPUShares: 500}}, importanceNormal,
			cgroup.Limits{CPUShares: 500}},
		{"importance high doubles", &nomadplugin.Resources{CPUShares: 100}, importanceHigh, cgroup.Limits{CPUShares: 200}},
		{"importance lowest quarters", &nomadplugin.Resources{CPUShares: 100}, importanceLowest, cgroup.Limits{CPUShares: 25}},
		{"importance clamps to the kernel max", &nomadplugin.Resources{CPUShares: 100000}, importanceHighest, cgroup.Limits{CPUShares: cgroup.MaxShares}},
		{"oversubscription", &nomadplugin.Resources{MemoryMB: 150, MemoryMaxMB: 250}, importanceNormal,
			cgroup.Limits{MemoryBytes: 150 << 20, MemoryMaxBytes: 250 << 20}},
		{"unlimited memory_max", &nomadplugin.Resources{MemoryMB: 150, MemoryMaxMB: -1}, importanceNormal,
			cgroup.Limits{MemoryBytes: 150 << 20, MemoryMaxBytes: -1}},
		{"memory_max below memory is ignored", &nomadplugin.Resources{MemoryMB: 150, MemoryMaxMB: 100}, importanceNormal,
			cgroup.Limits{MemoryBytes: 150 << 20}},
		{"cores", &nomadplugin.Resources{Linux: &nomadplugin.LinuxResources{CpusetCPUs: "0,1"}}, importanceNormal,
			cgroup.Limits{CpusetCpus: "0,1"}},
	}
	for _, tt := range tests {
		got := taskLimits(tt.r, tt.imp)
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: limits do not validate: %v", tt.name, err)
		}
	}
}
