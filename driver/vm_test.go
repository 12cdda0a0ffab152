package driver_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// These tests let the driver create cgroups, move tasks into them and
// enforce memory limits, which this project allows only in a throwaway VM
// (scripts/test-vm.sh sets PLEDGE_VM_TEST=1 and PLEDGE_VM_CGROUP).

// vmLaunch launches the plugin in the VM, or skips elsewhere.
func vmLaunch(t *testing.T) (*plugintest.Plugin, string) {
	t.Helper()
	vmLayout(t)
	return launch(t, "")
}

// vmLayout is the cgroup layout the VM booted, "v2" or "v1"; it skips
// outside the VM. Once asked to run, a wrong environment is a failure.
func vmLayout(t *testing.T) string {
	t.Helper()
	if os.Getenv("PLEDGE_VM_TEST") != "1" {
		t.Skip("creates cgroups and enforces memory limits: runs only in the VM (PLEDGE_VM_TEST=1)")
	}
	layout := os.Getenv("PLEDGE_VM_CGROUP")
	if layout != "v1" && layout != "v2" {
		t.Fatalf("PLEDGE_VM_CGROUP=%q: want v1 or v2 (the layout the VM booted)", layout)
	}
	if os.Geteuid() != 0 {
		t.Fatal("PLEDGE_VM_TEST=1 but not running as root")
	}
	return layout
}

// TestVMOwnCgroupPlacementAndStats: without a cgroup from Nomad the driver
// creates its own (the VM's test process sits in the root group of every
// hierarchy, so on v1 too), puts the task in it and removes it on destroy.
func TestVMOwnCgroupPlacementAndStats(t *testing.T) {
	p, _ := vmLaunch(t)
	requireOwnCgroupPlacement(t, p)
}

// TestVMInstalledPluginOwnCgroup: the installed plugin's helper init, run
// from its memfd, is cloned into the task's cgroup like the self re-exec.
func TestVMInstalledPluginOwnCgroup(t *testing.T) {
	vmLayout(t)
	bin := filepath.Join(pluginDir(t), "pledge")
	if err := os.Symlink(installedBinary(t), bin); err != nil {
		t.Fatal(err)
	}
	requireOwnCgroupPlacement(t, plugintest.MustLaunch(t, bin, plugintest.Options{}))
}

// requireOwnCgroupPlacement runs a task that prints its cgroups and checks
// they are the driver's own groups for the task, removed on destroy.
func requireOwnCgroupPlacement(t *testing.T, p *plugintest.Plugin) {
	t.Helper()
	task := start(t, p, plugintest.TaskOptions{CPU: 500, MemoryMB: 64, Config: `
command  = "/bin/cat"
args     = ["/proc/self/cgroup"]
promises = "stdio rpath"
unveil   = ["r:/proc/self/cgroup"]`})
	if res := wait(t, task); res.GetExitCode() != 0 {
		t.Fatalf("exit %+v, stderr %q", res, task.Stderr.String())
	}
	alloc := task.Config.GetAllocId()
	want := map[string]string{"": "/pledge.slice/" + alloc + ".task.scope"}
	if vmLayout(t) == "v1" {
		want = map[string]string{}
		for _, c := range []string{"freezer", "cpu", "cpuacct", "memory", "cpuset", "pids"} {
			want[c] = "/pledge/" + alloc + ".task"
		}
	}
	for c, dir := range want {
		line := ":" + c + ":" + dir + "\n"
		if c == "" {
			line = "0::" + dir + "\n"
		}
		if err := task.Stdout.Wait(line, 5*time.Second); err != nil {
			t.Errorf("task not in its own %s cgroup: %v (stdout %q)", hierarchyName(c), err, task.Stdout.String())
		}
	}
	if err := task.Destroy(true); err != nil {
		t.Fatal(err)
	}
	for c, dir := range want {
		if _, err := os.Stat(filepath.Join(cgroupRoot, c, dir)); !os.IsNotExist(err) {
			t.Errorf("the driver's %s cgroup survived DestroyTask: %v", hierarchyName(c), err)
		}
	}
}

// TestVMV1ConfinedDriverCreatesNoGroup: on v1, a driver that runs in a
// memory cgroup of its own (as an agent in a systemd service on a hybrid
// host) creates no group when Nomad sent none, because that would take the
// task out of the agent's memory limit; the task stays in the driver's
// groups and an event says why.
func TestVMV1ConfinedDriverCreatesNoGroup(t *testing.T) {
	if vmLayout(t) != "v1" {
		t.Skip("on cgroup v2 the driver always creates its own group below pledge.slice")
	}
	agent := filepath.Join(cgroupRoot, "memory", fmt.Sprintf("pledge-agent-%d.service", os.Getpid()))
	if err := os.Mkdir(agent, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(agent); err != nil {
			t.Errorf("removing the agent's memory cgroup: %v", err)
		}
	})
	enterCgroup(t, "memory", agent)
	p, _ := vmLaunch(t)
	task := start(t, p, plugintest.TaskOptions{MemoryMB: 64, Config: `
command  = "/bin/cat"
args     = ["/proc/self/cgroup"]
promises = "stdio rpath"
unveil   = ["r:/proc/self/cgroup"]`})
	if res := wait(t, task); res.GetExitCode() != 0 {
		t.Fatalf("exit %+v, stderr %q", res, task.Stderr.String())
	}
	if err := task.Stdout.Wait(":memory:"+strings.TrimPrefix(agent, cgroupRoot+"/memory")+"\n", 5*time.Second); err != nil {
		t.Errorf("task left the agent's memory cgroup: %v (stdout %q)", err, task.Stdout.String())
	}
	if _, err := p.Events.Wait(0, 5*time.Second, func(e *driverpb.DriverTaskEvent) bool {
		return e.GetTaskId() == task.ID() && strings.Contains(e.GetMessage(), "runs in the v1 memory cgroup")
	}); err != nil {
		t.Errorf("no event saying why the task has no cgroup: %v", err)
	}
	for _, c := range []string{"freezer", "cpu", "memory"} {
		if _, err := os.Stat(filepath.Join(cgroupRoot, c, "pledge", task.Config.GetAllocId()+".task")); !os.IsNotExist(err) {
			t.Errorf("the driver created a %s group: %v", c, err)
		}
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
