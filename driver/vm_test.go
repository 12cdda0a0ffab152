package driver_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
)

// These tests let the driver create cgroups, move tasks into them and
// enforce memory limits, which this project allows only in a throwaway VM
// (scripts/test-vm.sh sets PLEDGE_VM_TEST=1 and PLEDGE_VM_CGROUP).

// vmLaunch launches the plugin in the VM, or skips elsewhere. The driver
// creates its own groups only on cgroup v2.
func vmLaunch(t *testing.T) (*plugintest.Plugin, string) {
	t.Helper()
	if os.Getenv("PLEDGE_VM_TEST") != "1" {
		t.Skip("creates cgroups and enforces memory limits: runs only in the VM (PLEDGE_VM_TEST=1)")
	}
	if os.Getenv("PLEDGE_VM_CGROUP") != "v2" {
		t.Skip("the driver creates its own task cgroups only on cgroup v2")
	}
	return launch(t, "")
}

func TestVMOwnCgroupPlacementAndStats(t *testing.T) {
	p, _ := vmLaunch(t)
	task := start(t, p, plugintest.TaskOptions{CPU: 500, MemoryMB: 64, Config: `
command  = "/bin/cat"
args     = ["/proc/self/cgroup"]
promises = "stdio rpath"
unveil   = ["r:/proc/self/cgroup"]`})
	if res := wait(t, task); res.GetExitCode() != 0 {
		t.Fatalf("exit %+v, stderr %q", res, task.Stderr.String())
	}
	want := "0::/pledge.slice/" + task.Config.GetAllocId() + ".task.scope"
	if err := task.Stdout.Wait(want, 5*time.Second); err != nil {
		t.Fatalf("task not in its own cgroup: %v (stdout %q)", err, task.Stdout.String())
	}
	if err := task.Destroy(true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/sys/fs/cgroup/pledge.slice/" + task.Config.GetAllocId() + ".task.scope"); !os.IsNotExist(err) {
		t.Errorf("the driver's cgroup survived DestroyTask: %v", err)
	}
}

func TestVMMemoryLimitAndOOM(t *testing.T) {
	p, bin := vmLaunch(t)
	task := start(t, p, plugintest.TaskOptions{MemoryMB: 32, Config: `
command  = "` + bin + `"
args     = ["__probe", "alloc", "256"]
promises = "stdio"`})
	res := wait(t, task)
	if !res.GetOomKilled() || res.GetSignal() != 9 {
		t.Fatalf("exit %+v, want OOM-killed by SIGKILL (stderr %q)", res, task.Stderr.String())
	}
}

func TestVMStatsFromCgroup(t *testing.T) {
	p, _ := vmLaunch(t)
	task := start(t, p, plugintest.TaskOptions{MemoryMB: 64, Config: `
command  = "/bin/sleep"
args     = ["60"]
promises = "stdio rpath"`})
	defer task.Stop(time.Second, "SIGKILL")
	st, err := task.Stats(200 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.Wait(1, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	mem := s.GetAggResourceUsage().GetMemory()
	if mem.GetUsage() == 0 || !strings.Contains(strings.Join(fieldNames(mem.GetMeasuredFields()), " "), "USAGE") {
		t.Errorf("memory stats from the cgroup look empty: %+v", mem)
	}
}

func fieldNames[T interface{ String() string }](fs []T) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}
