package cgroup

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests in this file create cgroups, move processes into them and
// enforce memory limits, which this project allows only in a throwaway VM.
// scripts/test-vm.sh runs them there with PLEDGE_VM_TEST=1 and
// PLEDGE_VM_CGROUP set to the layout it booted; elsewhere they skip. Once
// asked to run, a wrong environment is a failure, never a skip.

// vmHost returns the VM's cgroup layout or skips outside the VM.
func vmHost(t *testing.T) *Host {
	t.Helper()
	if os.Getenv("PLEDGE_VM_TEST") != "1" {
		t.Skip("moves processes and enforces limits: runs only in the VM (make test-vm sets PLEDGE_VM_TEST=1)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("PLEDGE_VM_TEST=1 but not running as root")
	}
	want := Mode(os.Getenv("PLEDGE_VM_CGROUP"))
	if want != ModeV1 && want != ModeV2 {
		t.Fatalf("PLEDGE_VM_CGROUP=%q: want v1 or v2 (the layout the VM booted)", want)
	}
	h, err := Detect()
	if err != nil {
		t.Fatal(err)
	}
	if h.Mode() != want {
		t.Fatalf("detected cgroup mode %s, the VM booted %s", h.Mode(), want)
	}
	if want == ModeV1 {
		for _, c := range v1Controllers {
			if _, ok := h.v1[c]; !ok {
				t.Fatalf("v1 controller %s is not mounted (controllers: %v); boot a kernel with v1 memory and cpuset", c, h.Controllers())
			}
		}
	}
	return h
}

// groupName is a fresh directory name per test and process.
func groupName(t *testing.T) string {
	return fmt.Sprintf("%s-%d", strings.NewReplacer("/", "_").Replace(t.Name()), os.Getpid())
}

// newGroup creates an own group for the test and removes it at the end,
// checking that every directory is gone.
func newGroup(t *testing.T, h *Host) *Group {
	t.Helper()
	g, err := h.Create(Own{Parent: "pledge-test", Name: groupName(t)})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := g.Kill(ctx); err != nil {
			t.Errorf("cleanup Kill: %v", err)
		}
		if err := g.Remove(); err != nil {
			t.Errorf("cleanup Remove: %v", err)
		}
		for _, d := range g.allDirs() {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("after Remove, %s: stat error %v, want not exist", d, err)
			}
		}
	})
	return g
}

// child is a re-executed test binary running in a group.
type child struct {
	cmd  *exec.Cmd
	done chan error
}

// startChild starts a child in g (v2: CLONE_INTO_CGROUP, v1: AddProc),
// lets it begin mode once it is placed and waits for its acknowledgement.
func startChild(t *testing.T, g *Group, mode string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if g.Mode() == ModeV2 {
		dir, err := g.OpenDir()
		if err != nil {
			t.Fatalf("OpenDir: %v", err)
		}
		defer dir.Close()
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting child: %v", err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.done
	})
	if g.Mode() == ModeV1 {
		if err := g.AddProc(cmd.Process.Pid); err != nil {
			t.Fatalf("AddProc: %v", err)
		}
	}
	if _, err := stdin.Write([]byte{1}); err != nil {
		t.Fatalf("releasing child: %v", err)
	}
	if _, err := io.ReadFull(stdout, make([]byte, 1)); err != nil {
		t.Fatalf("child did not acknowledge (died before running?): %v", err)
	}
	return c
}

// wait returns the child's exit error, failing the test after timeout.
func (c *child) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err
		return err
	case <-time.After(timeout):
		t.Fatalf("child %d still running after %v", c.cmd.Process.Pid, timeout)
		return nil
	}
}

// signaled reports the signal that ended the child, if any.
func signaled(err error) (syscall.Signal, bool) {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return 0, false
	}
	ws := ee.Sys().(syscall.WaitStatus)
	return ws.Signal(), ws.Signaled()
}

// cgroupsOf parses /proc/<pid>/cgroup into controller -> path, with ""
// for the v2 line.
func cgroupsOf(t *testing.T, pid int) map[string]string {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			t.Fatalf("/proc/%d/cgroup line %q", pid, sc.Text())
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out
}

// checkMember fails unless pid is in every directory of g.
func checkMember(t *testing.T, g *Group, pid int) {
	t.Helper()
	in := cgroupsOf(t, pid)
	if g.Mode() == ModeV2 {
		want := strings.TrimPrefix(g.unified, mountRoot)
		if in[""] != want {
			t.Errorf("pid %d is in %q, want %q", pid, in[""], want)
		}
		return
	}
	for c, d := range g.dirs {
		want := strings.TrimPrefix(d, filepath.Join(mountRoot, c))
		if in[c] != want {
			t.Errorf("pid %d is in %s:%q, want %q", pid, c, in[c], want)
		}
	}
}

// eventually polls cond every 20 ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestVMPlacement(t *testing.T) {
	h := vmHost(t)
	g := newGroup(t, h)
	c := startChild(t, g, "sleep")
	checkMember(t, g, c.cmd.Process.Pid)
	pids, err := g.Pids()
	if err != nil || !slices.Equal(pids, []int{c.cmd.Process.Pid}) {
		t.Fatalf("Pids() = %v, %v; want [%d]", pids, err, c.cmd.Process.Pid)
	}
}

func TestVMLimitsReadBack(t *testing.T) {
	h := vmHost(t)
	g := newGroup(t, h)
	l := Limits{CPUShares: 512, CPUQuotaMicros: 50000, MemoryBytes: 64 << 20, MemoryMaxBytes: 128 << 20, CpusetCpus: "0"}
	if err := g.SetLimits(l); err != nil {
		t.Fatalf("SetLimits: %v", err)
	}
	want := map[string]map[string]string{ // dir key -> file -> value
		"": {"cpu.weight": fmt.Sprint(SharesToWeight(512)), "cpu.max": "50000 100000", "memory.max": "134217728", "memory.low": "67108864", "cpuset.cpus": "0"},
	}
	if g.Mode() == ModeV1 {
		want = map[string]map[string]string{
			"cpu":    {"cpu.shares": "512", "cpu.cfs_quota_us": "50000", "cpu.cfs_period_us": "100000"},
			"memory": {"memory.limit_in_bytes": "134217728", "memory.soft_limit_in_bytes": "67108864"},
			"cpuset": {"cpuset.cpus": "0"},
		}
	}
	checkFiles(t, g, want)

	if err := g.SetLimits(Limits{MemoryBytes: 64 << 20, MemoryMaxBytes: -1}); err != nil {
		t.Fatalf("SetLimits unlimited: %v", err)
	}
	if g.Mode() == ModeV2 {
		checkFiles(t, g, map[string]map[string]string{"": {"memory.max": "max"}})
	} else {
		// The kernel rounds "unlimited" down to a page multiple.
		checkFiles(t, g, map[string]map[string]string{"memory": {"memory.limit_in_bytes": "9223372036854771712"}})
	}
}

func checkFiles(t *testing.T, g *Group, want map[string]map[string]string) {
	t.Helper()
	for ctrl, files := range want {
		dir, ok := g.Dir(ctrl)
		if !ok {
			t.Fatalf("group has no %q directory", ctrl)
		}
		for f, w := range files {
			got, err := readFile(dir, f)
			if err != nil || got != w {
				t.Errorf("%s/%s = %q, %v; want %q", dir, f, got, err, w)
			}
		}
	}
}

func TestVMStatsMove(t *testing.T) {
	h := vmHost(t)
	g := newGroup(t, h)
	if err := g.SetLimits(Limits{CPUQuotaMicros: 10000}); err != nil {
		t.Fatalf("SetLimits: %v", err)
	}
	first, err := g.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	startChild(t, g, "spin")
	var last Stats
	eventually(t, 30*time.Second, "CPU time, throttling and memory use counted", func() (bool, error) {
		last, err = g.Stats()
		return last.CPU.TotalNanos > first.CPU.TotalNanos && last.CPU.UserNanos > first.CPU.UserNanos &&
			last.CPU.ThrottledPeriods > 0 && last.CPU.ThrottledNanos > 0 &&
			last.Memory.Usage > 0 && last.Memory.RSS > 0, err
	})
	t.Logf("stats: %+v", last)
	for _, m := range []string{"User Mode", "System Mode", "Throttled Periods", "Throttled Time"} {
		if !slices.Contains(last.CPU.Measured, m) {
			t.Errorf("CPU Measured %v lacks %q", last.CPU.Measured, m)
		}
	}
	for _, m := range []string{"RSS", "Cache", "Usage"} {
		if !slices.Contains(last.Memory.Measured, m) {
			t.Errorf("memory Measured %v lacks %q", last.Memory.Measured, m)
		}
	}
}

func TestVMOOMKill(t *testing.T) {
	h := vmHost(t)
	g := newGroup(t, h)
	if err := g.SetLimits(Limits{MemoryBytes: 32 << 20}); err != nil {
		t.Fatalf("SetLimits: %v", err)
	}
	if killed, err := g.OOMKilled(); err != nil || killed {
		t.Fatalf("OOMKilled() before = %v, %v; want false", killed, err)
	}
	c := startChild(t, g, "alloc")
	err := c.wait(t, 60*time.Second)
	if sig, ok := signaled(err); !ok || sig != syscall.SIGKILL {
		t.Fatalf("allocating child ended with %v, want SIGKILL from the OOM killer", err)
	}
	if killed, err := g.OOMKilled(); err != nil || !killed {
		t.Fatalf("OOMKilled() after = %v, %v; want true", killed, err)
	}
	// Reopened from its state (a restarted driver), the group still knows.
	re, err := Reopen(g.State())
	if err != nil {
		t.Fatal(err)
	}
	if killed, err := re.OOMKilled(); err != nil || !killed {
		t.Fatalf("reopened OOMKilled() = %v, %v; want true", killed, err)
	}
}

func TestVMKill(t *testing.T) {
	h := vmHost(t)
	g := newGroup(t, h)
	c := startChild(t, g, "fork")
	eventually(t, 30*time.Second, "child and three grandchildren in the group", func() (bool, error) {
		pids, err := g.Pids()
		return len(pids) == 4, err
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.Kill(ctx); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if pids, err := g.Pids(); err != nil || len(pids) != 0 {
		t.Fatalf("after Kill, Pids() = %v, %v; want none", pids, err)
	}
	if sig, ok := signaled(c.wait(t, 10*time.Second)); !ok || sig != syscall.SIGKILL {
		t.Fatalf("child ended with signal %v (signaled %v), want SIGKILL", sig, ok)
	}
	if err := g.Kill(ctx); err != nil {
		t.Fatalf("second Kill: %v", err)
	}
	if err := g.Remove(); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := g.Remove(); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
}

// TestVMJoinNomad lays out the directories Nomad 1.7's client creates for a
// task and joins them as the driver does.
func TestVMJoinNomad(t *testing.T) {
	h := vmHost(t)
	allocID := fmt.Sprintf("0000%04d-1111-2222-3333-444455556666", os.Getpid()%10000)
	var task NomadTask
	var nomadDirs []string // created here, as Nomad would
	if h.Mode() == ModeV2 {
		own, err := h.Create(Own{Parent: "nomad.slice/share.slice", Name: allocID + ".web.scope"})
		if err != nil {
			t.Fatal(err)
		}
		nomadDirs = own.created
		task = NomadTask{CpusetCgroup: own.unified}
	} else {
		rel := "nomad/" + allocID + ".web"
		for _, c := range []string{"freezer", "cpu", "memory"} {
			if _, err := ensureV1Dir(c, h.v1[c], filepath.Join(h.v1[c], rel)); err != nil {
				t.Fatal(err)
			}
			nomadDirs = append(nomadDirs, filepath.Join(h.v1[c], rel))
		}
		share := filepath.Join(h.v1["cpuset"], "nomad/share")
		if _, err := ensureV1Dir("cpuset", h.v1["cpuset"], share); err != nil {
			t.Fatal(err)
		}
		task = NomadTask{CpusetCgroup: share, AllocID: allocID, Task: "web"}
	}
	t.Cleanup(func() {
		for _, d := range slices.Backward(nomadDirs) {
			if err := syscall.Rmdir(d); err != nil {
				t.Errorf("removing Nomad's directory %s: %v", d, err)
			}
		}
	})
	g, err := h.Join(task)
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	c := startChild(t, g, "sleep")
	checkMember(t, g, c.cmd.Process.Pid)
	if err := g.SetLimits(Limits{CPUShares: 1024, MemoryBytes: 64 << 20, CpusetCpus: "0"}); err != nil {
		t.Fatalf("SetLimits: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.Kill(ctx); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	c.wait(t, 10*time.Second)
	if err := g.Remove(); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	for _, d := range nomadDirs {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("Remove deleted Nomad's directory %s: %v", d, err)
		}
	}
	if g.Mode() == ModeV1 {
		shared, _ := readFile(g.dirs["cpuset"], "cpuset.cpus")
		pool, _ := readFile(h.v1["cpuset"], "cpuset.cpus")
		if shared != pool {
			t.Errorf("Nomad's shared cpuset holds cpus %q, want the untouched pool %q", shared, pool)
		}
	}
}

// TestVMReuseAfterKill pins down what the kernel does with a group after a
// kill: cgroup.kill kills only the processes present and those cloned while
// the kill runs, so a process started into the group afterwards runs (and
// the group can be killed again). The driver must therefore not start
// anything into a task's group once it has stopped the task.
func TestVMReuseAfterKill(t *testing.T) {
	h := vmHost(t)
	g := newGroup(t, h)
	startChild(t, g, "sleep")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.Kill(ctx); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	c := startChild(t, g, "sleep") // fails unless the child runs
	checkMember(t, g, c.cmd.Process.Pid)
	if err := g.Kill(ctx); err != nil {
		t.Fatalf("second Kill: %v", err)
	}
	if sig, ok := signaled(c.wait(t, 10*time.Second)); !ok || sig != syscall.SIGKILL {
		t.Fatalf("second child ended with signal %v (signaled %v), want SIGKILL", sig, ok)
	}
}
