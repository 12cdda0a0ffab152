package driver

import (
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

// pidSamplers turn the per-process stats of one stats stream into Nomad's
// per-pid usage. Each process keeps its own cpuSampler, so its percent is
// its own rate between two samples of the stream; samplers of processes
// that are gone are dropped. A pid reused within one interval would show no
// rate for that sample (its CPU time went down), never a wrong one.
type pidSamplers map[int]*cpuSampler

// usage converts procs, sampled at now.
func (s pidSamplers) usage(now time.Time, procs map[int]procStat, mhz float64) map[int]nomadplugin.ResourceUsage {
	for pid := range s {
		if _, ok := procs[pid]; !ok {
			delete(s, pid)
		}
	}
	out := make(map[int]nomadplugin.ResourceUsage, len(procs))
	for pid, p := range procs {
		cs := s[pid]
		if cs == nil {
			cs = &cpuSampler{}
			s[pid] = cs
		}
		out[pid] = nomadplugin.ResourceUsage{
			CPU:    cs.cpu(now, p.cpuStats(), mhz),
			Memory: nomadplugin.MemoryUsage{RSS: p.rssBytes(), Measured: nomadplugin.MemoryRSS},
		}
	}
	return out
}
