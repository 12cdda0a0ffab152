package nsexec

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Tests that move processes between cgroups run only in the throw-away VM
// (../shared/vm/go-test-in-vm.sh), which sets PLEDGE_VM_TEST=1 and has a
// pure cgroup v2 hierarchy at /sys/fs/cgroup.
func requireVM(t *testing.T) {
	t.Helper()
	if os.Getenv("PLEDGE_VM_TEST") != "1" {
		t.Skip("moves processes between cgroups: runs in the VM only (PLEDGE_VM_TEST=1)")
	}
	requireRoot(t)
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		t.Skipf("no cgroup v2 hierarchy at /sys/fs/cgroup: %v", err)
	}
}

// newCgroup creates a fresh cgroup v2 directory, removed after the test.
func newCgroup(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("/sys/fs/cgroup", fmt.Sprintf("nsexec-test-%s-%d", name, os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove cgroup: %v", err)
		}
	})
	return dir
}

func TestVMCloneIntoCgroup(t *testing.T) {
	requireVM(t)
	dir := newCgroup(t, "clone")
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tk := startTask(t, Config{Cgroup: f}, "report")
	if got, want := tk.report(t)["cgroup"], "0::/"+filepath.Base(dir); got != want {
		t.Errorf("task's cgroup is %q, want %q", got, want)
	}
	if _, err := tk.wait(t); err != nil {
		t.Error(err)
	}
}

func TestVMBeforeStartPlacesInitBeforeShim(t *testing.T) {
	requireVM(t)
	dir := newCgroup(t, "hook")
	place := func(pid int) error {
		return os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
	}
	tk := startTask(t, Config{BeforeStart: place}, "report")
	if got, want := tk.report(t)["cgroup"], "0::/"+filepath.Base(dir); got != want {
		t.Errorf("task's cgroup is %q, want %q (placed before the shim started)", got, want)
	}
	if _, err := tk.wait(t); err != nil {
		t.Error(err)
	}
}
