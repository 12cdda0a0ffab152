package driver_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// nomadSlice is where a Nomad client on cgroup v2 creates task cgroups:
// share.slice for tasks on shared cores, reserve.slice for reserved ones.
const nomadSlice = "/sys/fs/cgroup/nomad.slice"

// TestVMJobsResources runs resources.hcl in the VM (v2) the way a Nomad
// client would: the client creates each task's scope, the driver joins it
// and writes the limits, and each task reads one limit back.
func TestVMJobsResources(t *testing.T) {
	if vmLayout(t) != "v2" {
		t.Skip("resources.hcl reads the v2 paths; TestVMNomadCgroup checks the same limits on v1")
	}
	p, _ := vmLaunch(t)
	jobs := loadJobs(t)
	want := map[string]struct {
		slice, cpus, out string
	}{
		"memory":         {slice: "share.slice", out: "209715200\n"}, // memory = 200 is the hard limit
		"oversubscribed": {slice: "share.slice", out: "157286400\n"}, // memory = 150 is protected (memory_max 250)
		"cores":          {slice: "reserve.slice", cpus: "0", out: "0\n"},
	}
	// The harness gives each task an allocation of its own.
	allocs := 0
	for name, w := range want {
		allocs++
		alloc := fmt.Sprintf("c0ffee00-0000-4000-8000-%012d", allocs)
		jt := jobs["resources/"+name]
		if jt == nil {
			t.Fatalf("resources.hcl has no task %q", name)
		}
		t.Run(name, func(t *testing.T) {
			opts := jt.taskOptions(t)
			opts.AllocID, opts.CpusetCPUs = alloc, w.cpus
			opts.CgroupPath = nomadScope(t, w.slice, alloc+"."+name+".scope")
			task := start(t, p, opts)
			succeed(t, task)
			if err := task.Stdout.Wait("\n", 5*time.Second); err != nil || task.Stdout.String() != w.out {
				t.Errorf("%s read back %q, want %q", name, task.Stdout.String(), w.out)
			}
			if err := task.Destroy(true); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// nomadScope creates a task scope below nomad.slice/<slice> with the
// controllers Nomad enables, and removes it (and the slices, when empty)
// after the test.
func nomadScope(t *testing.T, slice, scope string) string {
	t.Helper()
	dirs := []string{"/sys/fs/cgroup", nomadSlice, filepath.Join(nomadSlice, slice)}
	for i, dir := range dirs {
		if i > 0 {
			if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Remove(dir) })
		}
		if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+cpu +cpuset +memory"), 0); err != nil {
			t.Fatalf("enable controllers in %s: %v", dir, err)
		}
	}
	path := filepath.Join(nomadSlice, slice, scope)
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return path
}
