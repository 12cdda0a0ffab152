package driver_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// delegatedFiles are the files of a delegated cgroup that systemd's
// Delegate= hands to the unit's user besides the directory itself: with
// them the user may move its processes and enable controllers below.
var delegatedFiles = []string{"cgroup.procs", "cgroup.subtree_control", "cgroup.threads"}

// delegate creates dir (below the v2 root) and hands it to uid the way
// systemd's Delegate= does: the directory and delegatedFiles chowned,
// controllers (if any) enabled in the parent so the subtree is offered
// them. It is removed after the test (after everything registered later).
func delegate(t *testing.T, dir string, uid int, controllers string) {
	t.Helper()
	if controllers != "" {
		writeCgroupFile(t, filepath.Dir(dir), "cgroup.subtree_control", controllers)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("removing delegated cgroup %s: %v", dir, err)
		}
	})
	for _, p := range append([]string{""}, delegatedFiles...) {
		if err := os.Chown(filepath.Join(dir, p), uid, uid); err != nil {
			t.Fatal(err)
		}
	}
}

// enterCgroup moves the test process into dir of the hierarchy of
// controller ("" for v2), so that the plugin it launches starts there, and
// back into its own group after the test.
func enterCgroup(t *testing.T, controller, dir string) {
	t.Helper()
	back := filepath.Join(cgroupRoot, controller, procCgroups(t, os.Getpid())[controller])
	self := strconv.Itoa(os.Getpid())
	writeCgroupFile(t, dir, "cgroup.procs", self)
	t.Cleanup(func() { writeCgroupFile(t, back, "cgroup.procs", self) })
}

// TestVMRootlessDelegated runs the plugin as nobody in a leaf of a cgroup
// v2 subtree delegated to nobody (systemd's Delegate= with
// DelegateSubgroup=): the driver reports cgroup v2, puts each task in a
// group of its own under <subtree>/pledge.slice with the task's limits,
// kills the whole group when stopping it and removes it on destroy.
func TestVMRootlessDelegated(t *testing.T) {
	if vmLayout(t) != "v2" {
		t.Skip("delegation to an unprivileged user is a cgroup v2 feature; a v1 driver without root uses no cgroup")
	}
	requireUnprivilegedUserNS(t)
	subtree := filepath.Join(cgroupRoot, fmt.Sprintf("pledge-delegated-%d.service", os.Getpid()))
	delegate(t, subtree, nobody, "+cpu +cpuset +io +memory +pids")
	leaf := filepath.Join(subtree, "agent")
	delegate(t, leaf, nobody, "")
	t.Cleanup(func() { os.Remove(filepath.Join(subtree, "pledge.slice")) })
	enterCgroup(t, "", leaf)
	p, _ := launchRootless(t)

	fp, err := p.Fingerprints.Wait(0, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fp.GetAttributes()["driver.pledge.cgroup"].GetStringVal(); got != "v2" {
		t.Errorf("driver.pledge.cgroup = %q (health %q), want v2: a subtree is delegated to the driver", got, fp.GetHealthDescription())
	}

	task := start(t, p, plugintest.TaskOptions{CPU: 500, MemoryMB: 64, MemoryMaxMB: 96, Config: `
command  = "/bin/sh"
args     = ["-c", "sleep 3600 & sleep 3600 & echo started; wait"]
promises = "stdio rpath proc exec"
unveil   = ["rx:/usr", "rx:/bin", "rx:/lib", "rx:/lib64"]`})
	if err := task.Stdout.Wait("started", 10*time.Second); err != nil {
		t.Fatalf("%v (stderr %q)", err, task.Stderr.String())
	}
	group := filepath.Join(subtree, "pledge.slice", task.Config.GetAllocId()+".task.scope")
	rel := strings.TrimPrefix(group, cgroupRoot)
	if in := procCgroups(t, initPID(t, task))[""]; in != rel {
		t.Errorf("task init is in %q, want its own group %q", in, rel)
	}
	var members []string
	eventually(t, 10*time.Second, "shell and two sleeps in the task's group", func() bool {
		members = strings.Fields(readCgroupFile(t, group, "cgroup.procs"))
		return len(members) >= 4 // init, sh, two sleeps
	})
	for f, want := range map[string]string{
		"memory.max": "100663296",
		"memory.low": "67108864",
		"cpu.weight": strconv.FormatUint(cgroup.SharesToWeight(500), 10),
	} {
		if got := readCgroupFile(t, group, f); got != want {
			t.Errorf("%s/%s = %q, want %q", group, f, got, want)
		}
	}
	if degraded, err := p.Events.Wait(0, time.Second, func(e *driverpb.DriverTaskEvent) bool {
		return e.GetTaskId() == task.ID() && strings.Contains(e.GetMessage(), "cgroup")
	}); err == nil {
		t.Errorf("unexpected degradation event with every controller delegated: %q", degraded.GetMessage())
	}

	if err := task.Stop(time.Second, "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	if res := wait(t, task); res.GetSignal() != int32(syscall.SIGKILL) {
		t.Errorf("exit %+v, want SIGKILL", res)
	}
	if left := readCgroupFile(t, group, "cgroup.procs"); left != "" {
		t.Errorf("processes left in the task's group after StopTask: %q", left)
	}
	if err := task.Destroy(true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(group); !os.IsNotExist(err) {
		t.Errorf("the task's group survived DestroyTask: %v", err)
	}
	for _, pid := range members {
		if n, _ := strconv.Atoi(pid); isProcess(n) && !isZombie(n) {
			t.Errorf("member %d of the task's group still runs", n)
		}
	}
}

// TestVMRootlessPartialDelegation delegates a subtree that offers no
// memory controller (its parent enables only cpu and pids): the task still
// gets its own group with the CPU weight, and an event names the memory
// limit that is not enforced.
func TestVMRootlessPartialDelegation(t *testing.T) {
	if vmLayout(t) != "v2" {
		t.Skip("delegation to an unprivileged user is a cgroup v2 feature; a v1 driver without root uses no cgroup")
	}
	requireUnprivilegedUserNS(t)
	writeCgroupFile(t, cgroupRoot, "cgroup.subtree_control", "+cpu +pids")
	slice := filepath.Join(cgroupRoot, fmt.Sprintf("pledge-cpu-only-%d.slice", os.Getpid()))
	if err := os.Mkdir(slice, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(slice) })
	subtree := filepath.Join(slice, "agent.service")
	delegate(t, subtree, nobody, "+cpu +pids")
	leaf := filepath.Join(subtree, "agent")
	delegate(t, leaf, nobody, "")
	t.Cleanup(func() { os.Remove(filepath.Join(subtree, "pledge.slice")) })
	enterCgroup(t, "", leaf)
	p, _ := launchRootless(t)

	task := start(t, p, plugintest.TaskOptions{CPU: 500, MemoryMB: 64, Config: `
command  = "/bin/sleep"
args     = ["3600"]
promises = "stdio rpath"`})
	group := filepath.Join(subtree, "pledge.slice", task.Config.GetAllocId()+".task.scope")
	if got, want := readCgroupFile(t, group, "cpu.weight"), strconv.FormatUint(cgroup.SharesToWeight(500), 10); got != want {
		t.Errorf("%s/cpu.weight = %q, want %q", group, got, want)
	}
	if _, err := os.Stat(filepath.Join(group, "memory.max")); !os.IsNotExist(err) {
		t.Errorf("the task's group has memory files without a delegated memory controller: %v", err)
	}
	if _, err := p.Events.Wait(0, 5*time.Second, func(e *driverpb.DriverTaskEvent) bool {
		return e.GetTaskId() == task.ID() && strings.Contains(e.GetMessage(), "offers no memory controller")
	}); err != nil {
		t.Errorf("no event naming the memory limit that is not enforced: %v", err)
	}
	if err := task.Destroy(true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(group); !os.IsNotExist(err) {
		t.Errorf("the task's group survived DestroyTask: %v", err)
	}
}
