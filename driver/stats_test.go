package driver

import (
	"os"
	"testing"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

func TestCPUSampler(t *testing.T) {
	var s cpuSampler
	t0 := time.Unix(100, 0)
	first := s.cpu(t0, cgroup.CPUStats{TotalNanos: 1e9, UserNanos: 6e8, SystemNanos: 4e8, Measured: []string{"User Mode", "System Mode"}}, 2000)
	if first.Percent != 0 || first.TotalTicks != 0 {
		t.Errorf("first sample has a rate: %+v", first)
	}
	if first.Measured != nomadplugin.CPUUserMode|nomadplugin.CPUSystemMode|nomadplugin.CPUPercent|nomadplugin.CPUTotalTicks {
		t.Errorf("measured = %b", first.Measured)
	}
	// 1.5 s of CPU in 1 s of wall time: 150 % of a core, 1.5 × 2000 MHz.
	second := s.cpu(t0.Add(time.Second), cgroup.CPUStats{TotalNanos: 2.5e9, ThrottledPeriods: 3, ThrottledNanos: 7}, 2000)
	if second.Percent != 150 || second.TotalTicks != 3000 {
		t.Errorf("second sample: percent %v ticks %v, want 150 and 3000", second.Percent, second.TotalTicks)
	}
	if second.ThrottledPeriods != 3 || second.ThrottledTime != 7 {
		t.Errorf("throttling not passed through: %+v", second)
	}
}

func TestMemoryUsage(t *testing.T) {
	m := memoryUsage(cgroup.MemoryStats{RSS: 1, Cache: 2, Swap: 3, Usage: 4, MaxUsage: 5, Measured: []string{"RSS", "Cache", "Swap", "Usage", "Max Usage"}})
	want := nomadplugin.MemoryUsage{RSS: 1, Cache: 2, Swap: 3, Usage: 4, MaxUsage: 5,
		Measured: nomadplugin.MemoryRSS | nomadplugin.MemoryCache | nomadplugin.MemorySwap | nomadplugin.MemoryUsageField | nomadplugin.MemoryMaxUsage}
	if m != want {
		t.Errorf("got %+v, want %+v", m, want)
	}
}

func TestParseProcStat(t *testing.T) {
	line := []byte("4242 (a (weird) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 1 0 12345 1000000 321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n")
	p, err := parseProcStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if p.ppid != 17 || p.utime != 250 || p.stime != 30 || p.rss != 321 {
		t.Errorf("parsed %+v", p)
	}
	for _, bad := range []string{"", "1 (x) S", "1 (x) S notanumber 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"} {
		if _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parseProcStat(%q) succeeded", bad)
		}
	}
}

func TestProcTreeStatsSelf(t *testing.T) {
	tree, err := procTree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tree[os.Getpid()]; !ok {
		t.Fatalf("the tree of this process lacks it: %v", tree)
	}
	s := sumProcStats(tree)
	if s.Memory.RSS == 0 || s.CPU.TotalNanos != s.CPU.UserNanos+s.CPU.SystemNanos {
		t.Errorf("stats of this process look wrong: %+v", s)
	}
}

func TestViolationMessage(t *testing.T) {
	tests := []struct {
		v    supervisor.Violation
		want string
	}{
		{supervisor.Violation{Nr: 41, Syscall: "socket", Promises: []string{"inet"}},
			"sandbox denied syscall socket (ord=029): pledge promise 'inet' to allow"},
		{supervisor.Violation{Nr: 41, Syscall: "socket", Promises: []string{"inet", "unix"}},
			"sandbox denied syscall socket (ord=029): pledge one of the promises 'inet', 'unix' to allow"},
		{supervisor.Violation{Nr: 169, Syscall: "reboot"},
			"sandbox denied syscall reboot (ord=0a9): no promise allows it"},
	}
	for _, tt := range tests {
		if got := violationMessage(tt.v); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}
