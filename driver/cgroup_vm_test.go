package driver_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
)

// cgroupRoot is where the VM mounts its cgroup hierarchies.
const cgroupRoot = "/sys/fs/cgroup"

// v1NomadParent is a Nomad client's cgroup_parent on cgroup v1, which it
// exports to tasks as NOMAD_PARENT_CGROUP.
const v1NomadParent = "/nomad"

// nomadCgroup is the cgroup a Nomad 1.7+ client creates for one task
// before StartTask, on the layout the VM booted: on v2 one scope below
// nomad.slice/{share,reserve}.slice; on v1 freezer, cpu and memory
// directories nomad/<alloc>.<task> and the cpuset directory nomad/share or
// nomad/reserve/<alloc>.<task>.
type nomadCgroup struct {
	v1 bool
	// dirs maps each hierarchy's controller ("" on v2) to the directory
	// Nomad created for the task.
	dirs map[string]string
	// derived are the v1 directories Nomad does not create and the driver
	// must create, join and remove again (cpuacct, pids).
	derived map[string]string
	// cpuset is sent as LinuxResources.cpuset_cgroup.
	cpuset string
	// cores are the reserved cores, "" for the shared pool.
	cores string
}

// newNomadCgroup lays out the task's cgroup as a Nomad client would, and
// removes it after the test as the client does after the task: the
// removal fails (EBUSY) if the driver left a process in it.
func newNomadCgroup(t *testing.T, alloc, task, cores string) *nomadCgroup {
	t.Helper()
	if vmLayout(t) == "v2" {
		slice := "share.slice"
		if cores != "" {
			slice = "reserve.slice"
		}
		dir := nomadScope(t, slice, alloc+"."+task+".scope")
		return &nomadCgroup{dirs: map[string]string{"": dir}, cpuset: dir, cores: cores}
	}
	name := alloc + "." + task
	nc := &nomadCgroup{v1: true, dirs: map[string]string{}, derived: map[string]string{}, cores: cores}
	for _, c := range []string{"freezer", "cpu", "memory", "cpuset"} {
		mkdirV1(t, c, "nomad", false)
	}
	for _, c := range []string{"freezer", "cpu", "memory"} {
		nc.dirs[c] = mkdirV1(t, c, "nomad/"+name, true)
	}
	if cores == "" {
		nc.dirs["cpuset"] = mkdirV1(t, "cpuset", "nomad/share", false)
	} else {
		mkdirV1(t, "cpuset", "nomad/reserve", false)
		nc.dirs["cpuset"] = mkdirV1(t, "cpuset", "nomad/reserve/"+name, true)
		writeCgroupFile(t, nc.dirs["cpuset"], "cpuset.cpus", cores)
	}
	nc.cpuset = nc.dirs["cpuset"]
	for _, c := range []string{"cpuacct", "pids"} {
		nc.derived[c] = filepath.Join(cgroupRoot, c, "nomad", name)
		t.Cleanup(func() { os.Remove(filepath.Join(cgroupRoot, c, "nomad")) })
	}
	return nc
}

// mkdirV1 creates rel in the v1 hierarchy of controller (cpuset groups
// with their parent's cpus and mems, as Nomad copies them). A task's own
// directory (mustRemove) must be removable after the test; shared parents
// are removed when empty.
func mkdirV1(t *testing.T, controller, rel string, mustRemove bool) string {
	t.Helper()
	dir := filepath.Join(cgroupRoot, controller, rel)
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	if controller == "cpuset" {
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if cur := readCgroupFile(t, dir, f); cur == "" {
				writeCgroupFile(t, dir, f, readCgroupFile(t, filepath.Dir(dir), f))
			}
		}
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil && mustRemove {
			t.Errorf("removing Nomad's task cgroup %s: %v (the driver left something in it)", dir, err)
		}
	})
	return dir
}

func readCgroupFile(t *testing.T, dir, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func writeCgroupFile(t *testing.T, dir, file, value string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
		t.Fatalf("write %s to %s/%s: %v", value, dir, file, err)
	}
}

// options completes a task's options with what the client sends for this
// cgroup.
func (nc *nomadCgroup) options(o plugintest.TaskOptions) plugintest.TaskOptions {
	o.CgroupPath, o.CpusetCPUs = nc.cpuset, nc.cores
	if nc.v1 {
		o.Env = map[string]string{"NOMAD_PARENT_CGROUP": v1NomadParent}
	}
	return o
}

// all is every directory the task lives in: Nomad's and the derived ones.
func (nc *nomadCgroup) all() map[string]string {
	out := map[string]string{}
	for c, d := range nc.dirs {
		out[c] = d
	}
	for c, d := range nc.derived {
		out[c] = d
	}
	return out
}

// checkMember fails unless pid is in every directory of the task's cgroup,
// as /proc/<pid>/cgroup tells.
func (nc *nomadCgroup) checkMember(t *testing.T, pid int) {
	t.Helper()
	in := procCgroups(t, pid)
	for c, d := range nc.all() {
		want := strings.TrimPrefix(d, filepath.Join(cgroupRoot, c))
		if in[c] != want {
			t.Errorf("pid %d is in %s cgroup %q, want %q", pid, hierarchyName(c), in[c], want)
		}
	}
}

// procs lists the processes left in any of the task's directories.
func (nc *nomadCgroup) procs(t *testing.T) []int {
	t.Helper()
	var pids []int
	for _, d := range nc.all() {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && !slices.Contains(pids, pid) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// checkLimits compares each interface file with the value the driver must
// have written.
func (nc *nomadCgroup) checkLimits(t *testing.T, want map[string]map[string]string) {
	t.Helper()
	for c, files := range want {
		for f, w := range files {
			if got := readCgroupFile(t, nc.all()[c], f); got != w {
				t.Errorf("%s/%s = %q, want %q", nc.all()[c], f, got, w)
			}
		}
	}
}

func hierarchyName(c string) string {
	if c == "" {
		return "unified"
	}
	return c
}

// procCgroups parses /proc/<pid>/cgroup into controller -> path ("" for
// the unified hierarchy).
func procCgroups(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			t.Fatalf("/proc/%d/cgroup line %q", pid, line)
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out
}

// vmAlloc is a fresh allocation id per call, so that tasks of one test
// process never share a cgroup name.
func vmAlloc(n int) string {
	return fmt.Sprintf("c0ffee%02d-%04d-4000-8000-000000000000", n, os.Getpid()%10000)
}

// TestVMNomadCgroup drives tasks through the groups a Nomad 1.7+ client
// creates, on cgroup v2 and v1: the task joins every hierarchy, the driver
// writes the limits (memory and memory_max, CPU shares scaled by
// importance, reserved cores) and reads stats from the group, an OOM kill
// is reported, StopTask kills the whole group (v2 cgroup.kill, v1 freeze
// and SIGKILL) so that the client can remove it, also after the plugin
// was restarted.
func TestVMNomadCgroup(t *testing.T) {
	p, bin := vmLaunch(t)

	t.Run("placement, limits and stats", func(t *testing.T) {
		nc := newNomadCgroup(t, vmAlloc(1), "web", "0")
		task := start(t, p, nc.options(plugintest.TaskOptions{
			AllocID: vmAlloc(1), Name: "web", CPU: 500, MemoryMB: 64, MemoryMaxMB: 128,
			Config: busyTask + "\nimportance = \"high\"",
		}))
		busy := waitForProgram(t, task, commOf(t, "/bin/sh"))
		nc.checkMember(t, busy)
		nc.checkMember(t, initPID(t, task))
		shares := uint64(1000) // cpu = 500 MHz, doubled by importance "high"
		if nc.v1 {
			nc.checkLimits(t, map[string]map[string]string{
				"memory": {"memory.limit_in_bytes": "134217728", "memory.soft_limit_in_bytes": "67108864"},
				"cpu":    {"cpu.shares": strconv.FormatUint(shares, 10)},
				"cpuset": {"cpuset.cpus": "0"},
			})
		} else {
			nc.checkLimits(t, map[string]map[string]string{
				"": {"memory.max": "134217728", "memory.low": "67108864", "cpu.weight": strconv.FormatUint(cgroup.SharesToWeight(shares), 10), "cpuset.cpus": "0"},
			})
		}
		checkCgroupStats(t, task)
		if err := task.Stop(time.Second, "SIGKILL"); err != nil {
			t.Fatal(err)
		}
		destroyAndCheck(t, task, nc)
	})

	t.Run("stop kills the whole group", func(t *testing.T) {
		nc := newNomadCgroup(t, vmAlloc(2), "daemons", "")
		// In the host pid namespace the background sleeps outlive init;
		// only the group kill reaches them. They ignore SIGTERM.
		task := start(t, p, nc.options(plugintest.TaskOptions{AllocID: vmAlloc(2), Name: "daemons", Config: `
command  = "/bin/sh"
args     = ["-c", "trap '' TERM; sleep 3600 & sleep 3600 & sleep 3600 & echo started; wait"]
promises = "stdio rpath proc exec"
unveil   = ["rx:/usr", "rx:/bin", "rx:/lib", "rx:/lib64"]
pid_mode = "host"`}))
		if err := task.Stdout.Wait("started", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		var members []int
		eventually(t, 10*time.Second, fmt.Sprintf("shell and three sleeps in the group (stderr %q)", task.Stderr.String()), func() bool {
			members = nc.procs(t)
			return len(members) >= 4
		})
		begin := time.Now()
		if err := task.Stop(time.Second, "SIGTERM"); err != nil {
			t.Fatal(err)
		}
		if res := wait(t, task); res.GetSignal() != int32(syscall.SIGKILL) {
			t.Errorf("exit %+v, want SIGKILL after kill_timeout", res)
		}
		if d := time.Since(begin); d < time.Second {
			t.Errorf("stopped after %v, before kill_timeout", d)
		}
		if left := nc.procs(t); len(left) > 0 {
			t.Errorf("processes left in the task's cgroup after StopTask: %v", left)
		}
		for _, pid := range members {
			if isProcess(pid) && !isZombie(pid) {
				t.Errorf("member %d of the task's group still runs after StopTask", pid)
			}
		}
		if nc.v1 {
			nc.checkLimits(t, map[string]map[string]string{"freezer": {"freezer.state": "THAWED"}})
		}
		destroyAndCheck(t, task, nc)
	})

	t.Run("recovered task stopped through its group", func(t *testing.T) {
		nc := newNomadCgroup(t, vmAlloc(4), "kept", "")
		task := start(t, p, nc.options(plugintest.TaskOptions{AllocID: vmAlloc(4), Name: "kept", MemoryMB: 64, Config: `
command  = "/bin/sleep"
args     = ["3600"]
promises = "stdio rpath"`}))
		sleeper := waitForProgram(t, task, "sleep")
		if err := p.KillAndRecover(task); err != nil {
			t.Fatal(err)
		}
		nc.checkMember(t, sleeper)
		if err := task.Stop(time.Second, "SIGKILL"); err != nil {
			t.Fatal(err)
		}
		if res := wait(t, task); res.GetSignal() != int32(syscall.SIGKILL) {
			t.Errorf("exit %+v, want SIGKILL", res)
		}
		destroyAndCheck(t, task, nc)
	})

	t.Run("OOM kill reported", func(t *testing.T) {
		nc := newNomadCgroup(t, vmAlloc(3), "hog", "")
		task := start(t, p, nc.options(plugintest.TaskOptions{AllocID: vmAlloc(3), Name: "hog", MemoryMB: 32, Config: `
command  = "` + bin + `"
args     = ["__probe", "alloc", "256"]
promises = "stdio"`}))
		res := wait(t, task)
		if !res.GetOomKilled() || res.GetSignal() != int32(syscall.SIGKILL) {
			t.Errorf("exit %+v, want OOM-killed by SIGKILL (stderr %q)", res, task.Stderr.String())
		}
		destroyAndCheck(t, task, nc)
	})
}

// checkCgroupStats requires stats that only the cgroup provides (page
// cache, peak usage, throttling counters) and CPU time that grows.
func checkCgroupStats(t *testing.T, task *plugintest.Task) {
	t.Helper()
	st, err := task.Stats(200 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first, err := st.Wait(0, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	last, err := st.Wait(2, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cpuTime(last.GetAggResourceUsage()) <= cpuTime(first.GetAggResourceUsage()) {
		t.Errorf("CPU time of a busy task did not grow: %v then %v", cpuTime(first.GetAggResourceUsage()), cpuTime(last.GetAggResourceUsage()))
	}
	mem := last.GetAggResourceUsage().GetMemory()
	if mem.GetUsage() == 0 || mem.GetRss() == 0 {
		t.Errorf("memory of a running task: %+v, want usage and rss > 0", mem)
	}
	for _, f := range []string{"CACHE", "MAX_USAGE"} {
		if !slices.Contains(fieldNames(mem.GetMeasuredFields()), f) {
			t.Errorf("memory field %s not measured (stats not from the cgroup?): %v", f, mem.GetMeasuredFields())
		}
	}
	if cpu := last.GetAggResourceUsage().GetCpu(); !slices.Contains(fieldNames(cpu.GetMeasuredFields()), "THROTTLED_PERIODS") {
		t.Errorf("CPU field THROTTLED_PERIODS not measured (stats not from the cgroup?): %v", cpu.GetMeasuredFields())
	}
}

// destroyAndCheck destroys the task and requires the directories the
// driver created to be gone and Nomad's to be left, empty, for the client.
func destroyAndCheck(t *testing.T, task *plugintest.Task, nc *nomadCgroup) {
	t.Helper()
	if err := task.Destroy(true); err != nil {
		t.Fatal(err)
	}
	for c, d := range nc.derived {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("the %s directory the driver created, %s, survived DestroyTask: %v", c, d, err)
		}
	}
	for c, d := range nc.dirs {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("Nomad's %s directory %s: %v; the driver must leave it to the client", hierarchyName(c), d, err)
		}
	}
	if left := nc.procs(t); len(left) > 0 {
		t.Errorf("processes left in the task's cgroup: %v", left)
	}
}

// isZombie: pid has exited and waits for its parent to reap it.
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && len(b) > i+2 && b[i+2] == 'Z'
}

// eventually polls cond every 20 ms until it holds, failing after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
