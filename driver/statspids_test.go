package driver

import (
	"os"
	"testing"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

func TestPIDSamplers(t *testing.T) {
	s := pidSamplers{}
	t0 := time.Unix(100, 0)
	first := s.usage(t0, map[int]procStat{10: {utime: 100}, 11: {stime: 5, rss: 3}}, 1000)
	if len(first) != 2 || first[10].CPU.Percent != 0 {
		t.Fatalf("first sample %+v: want both pids, no rate yet", first)
	}
	if first[11].Memory.RSS != 3*uint64(os.Getpagesize()) || first[11].Memory.Measured != nomadplugin.MemoryRSS {
		t.Errorf("pid 11 memory %+v, want 3 pages of RSS", first[11].Memory)
	}
	// pid 10 used 50 ticks (0.5 s) of CPU in 1 s; pid 11 is gone, 12 new.
	second := s.usage(t0.Add(time.Second), map[int]procStat{10: {utime: 150}, 12: {utime: 7}}, 1000)
	if got := second[10].CPU; got.Percent != 50 || got.TotalTicks != 500 || got.UserMode != 1.5e9 {
		t.Errorf("pid 10 cpu %+v, want 50 %%, 500 ticks, 1.5 s user", got)
	}
	if _, ok := second[11]; ok {
		t.Error("an exited pid is still reported")
	}
	if _, ok := s[11]; ok {
		t.Error("the sampler of an exited pid was kept")
	}
	if second[12].CPU.Percent != 0 {
		t.Errorf("a new pid has a rate in its first sample: %+v", second[12].CPU)
	}
}

func TestReadProcStatsSkipsGone(t *testing.T) {
	got := readProcStats([]int{os.Getpid(), 1 << 30})
	if _, ok := got[os.Getpid()]; !ok || len(got) != 1 {
		t.Errorf("readProcStats = %v, want only this process", got)
	}
}
