package driver_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// busyTask spins on one core.
const busyTask = `
command  = "/bin/sh"
args     = ["-c", "while :; do :; done"]
promises = "stdio rpath"`

// TestE2EStatsUnderLoad runs a busy task on the host, where the driver has
// no cgroup for it and reads everything from /proc.
func TestE2EStatsUnderLoad(t *testing.T) {
	p, _ := launch(t, "")
	statsUnderLoad(t, p, []string{"RSS", "Usage"})
}

// TestVMStatsUnderLoad runs it in the VM (v2), where the totals come from
// the task's cgroup.
func TestVMStatsUnderLoad(t *testing.T) {
	p, _ := vmLaunch(t)
	statsUnderLoad(t, p, []string{"RSS", "Cache", "Swap", "Usage", "Max Usage"})
}

// statsUnderLoad requires the busy task's CPU percent and ticks to be
// positive and its CPU time to grow, in the totals and for the busy
// process itself, and the memory fields named in memory to be measured and
// nonzero where a running process must use some.
func statsUnderLoad(t *testing.T, p *plugintest.Plugin, memory []string) {
	t.Helper()
	task := start(t, p, plugintest.TaskOptions{Config: busyTask})
	defer task.Stop(time.Second, "SIGKILL")
	busy := waitForProgram(t, task, commOf(t, "/bin/sh"))
	st, err := task.Stats(250 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The first sample has no rate; two more show it moving.
	var samples []*driverpb.TaskStats
	for i := 0; i < 3; i++ {
		s, err := st.Wait(i, 20*time.Second, nil)
		if err != nil {
			t.Fatalf("sample %d: %v (stream error %v)", i, err, st.Err())
		}
		if s.GetTimestamp() == nil {
			t.Fatalf("sample %d has no timestamp; the agent drops it", i)
		}
		samples = append(samples, s)
	}
	prev, last := samples[1], samples[2]
	agg := last.GetAggResourceUsage().GetCpu()
	if agg.GetPercent() <= 0 || agg.GetTotalTicks() <= 0 {
		t.Errorf("busy task: percent %v ticks %v, want both > 0", agg.GetPercent(), agg.GetTotalTicks())
	}
	if cpuTime(last.GetAggResourceUsage()) <= cpuTime(prev.GetAggResourceUsage()) {
		t.Errorf("task CPU time did not grow: %v then %v", cpuTime(prev.GetAggResourceUsage()), cpuTime(last.GetAggResourceUsage()))
	}
	mine, ok := last.GetResourceUsageByPid()[strconv.Itoa(busy)]
	if !ok {
		t.Fatalf("per-pid stats lack the busy process %d: %v", busy, last.GetResourceUsageByPid())
	}
	if mine.GetCpu().GetPercent() <= 0 || mine.GetCpu().GetTotalTicks() <= 0 || mine.GetMemory().GetRss() == 0 {
		t.Errorf("busy process %d: %+v, want percent, ticks and rss > 0", busy, mine)
	}
	if cpuTime(mine) <= cpuTime(prev.GetResourceUsageByPid()[strconv.Itoa(busy)]) {
		t.Errorf("busy process %d: CPU time did not grow", busy)
	}
	for pid := range last.GetResourceUsageByPid() {
		if n, err := strconv.Atoi(pid); err != nil || !isProcess(n) {
			t.Errorf("per-pid key %q is no running process", pid)
		}
	}
	mem := last.GetAggResourceUsage().GetMemory()
	measured := map[string]bool{}
	for _, f := range fieldNames(mem.GetMeasuredFields()) {
		measured[f] = true
	}
	for _, want := range memory {
		if !measured[memoryFieldName(want)] {
			t.Errorf("memory field %s not measured: %v", want, mem.GetMeasuredFields())
		}
	}
	if mem.GetRss() == 0 || mem.GetUsage() == 0 {
		t.Errorf("memory of a running task: %+v, want rss and usage > 0", mem)
	}
}

// memoryFieldName is the wire enum name of a Nomad memory field.
func memoryFieldName(nomad string) string {
	return map[string]string{
		"RSS": "RSS", "Cache": "CACHE", "Swap": "SWAP", "Usage": "USAGE", "Max Usage": "MAX_USAGE",
	}[nomad]
}

func cpuTime(u *driverpb.TaskResourceUsage) float64 {
	return u.GetCpu().GetUserMode() + u.GetCpu().GetSystemMode()
}

// commOf is the process name the kernel gives a program exec'd from an fd
// of path: the base name of the file path resolves to (dash for /bin/sh),
// cut to 15 bytes.
func commOf(t *testing.T, path string) string {
	t.Helper()
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(real)
	return name[:min(len(name), 15)]
}

func isProcess(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}
