package cgroup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

// TestCreateReadBack creates a group on the machine running the tests,
// writes CPU limits, reads them back and removes the group, without moving
// any process. On a v1 host it uses only the cpu and cpuacct hierarchies
// (never memory).
func TestCreateReadBack(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root")
	}
	h, err := Detect()
	if err != nil {
		t.Fatal(err)
	}
	if h.Mode() != ModeV1 {
		// On v2 this would change the root's cgroup.subtree_control;
		// TestVMLimitsReadBack covers v2 inside the VM.
		t.Skipf("cgroup mode %s: this host test needs a v1 host", h.Mode())
	}
	controllers := []string{"cpu", "cpuacct"}
	for _, c := range controllers {
		if _, ok := h.v1[c]; !ok {
			t.Skipf("v1 controller %s not mounted", c)
		}
	}
	name := fmt.Sprintf("pledge-readback-%d-%d", os.Getpid(), time.Now().UnixNano())
	g, err := h.Create(Own{Name: name, Controllers: controllers})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	dirs := g.allDirs()
	t.Cleanup(func() {
		if err := g.Remove(); err != nil {
			t.Errorf("Remove: %v", err)
		}
		for _, d := range dirs {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("after Remove, %s: stat error %v, want not exist", d, err)
			}
		}
	})
	if err := g.SetLimits(Limits{CPUShares: 512, CPUQuotaMicros: 50000, CPUPeriodMicros: 200000}); err != nil {
		t.Fatalf("SetLimits: %v", err)
	}
	want := map[string]map[string]string{"cpu": {"cpu.shares": "512", "cpu.cfs_quota_us": "50000", "cpu.cfs_period_us": "200000"}}
	checkFiles(t, g, want)

	s, err := g.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if s.CPU.TotalNanos != 0 || !slices.Contains(s.CPU.Measured, "User Mode") {
		t.Errorf("Stats of an empty new group = %+v, want zero CPU time with user time measured", s.CPU)
	}
	if pids, err := g.Pids(); err != nil || len(pids) != 0 {
		t.Errorf("Pids() = %v, %v; want none", pids, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Kill(ctx); err != nil {
		t.Errorf("Kill of an empty group: %v", err)
	}
	re, err := Reopen(g.State())
	if err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	if killed, err := re.OOMKilled(); err != nil || killed {
		t.Errorf("OOMKilled() without a memory controller = %v, %v; want false", killed, err)
	}
}
