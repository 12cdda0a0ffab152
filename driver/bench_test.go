package driver_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// The benchmarks measure the plugin an operator installs: bin/nomad-pledge-driver
// as `make build` makes it (`make bench` builds first), or the binary named
// by PLEDGE_BENCH_BINARY (to compare builds side by side). Without either
// they fall back to this test binary, which is the same driver with the
// test code linked in, and say so.

// sleepTask is the benchmark workload: a task that only sleeps.
const sleepTask = `
command  = "/bin/sleep"
args     = ["3600"]
promises = "stdio"`

// memoryTasksEnv sets how many tasks BenchmarkMemoryPerTask runs at once;
// the target is stated for 200.
const memoryTasksEnv = "PLEDGE_BENCH_TASKS"

const defaultMemoryTasks = 200

// benchPlugin launches the plugin for a benchmark.
func benchPlugin(b *testing.B) *plugintest.Plugin {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("the driver needs root to start tasks (namespaces, user switch)")
	}
	bin := benchBinary(b)
	p, err := plugintest.Launch(b, bin, plugintest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// benchBinaryEnv names the plugin binary to measure instead of
// ../bin/nomad-pledge-driver.
const benchBinaryEnv = "PLEDGE_BENCH_BINARY"

// benchBinary links the installed plugin (or this test binary) into a
// plugin_dir under the driver's name.
func benchBinary(b *testing.B) string {
	b.Helper()
	src := os.Getenv(benchBinaryEnv)
	if src == "" {
		src = "../bin/nomad-pledge-driver"
	}
	src, err := filepath.Abs(src)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(src); err != nil {
		if os.Getenv(benchBinaryEnv) != "" {
			b.Fatalf("%s=%s: %v", benchBinaryEnv, src, err)
		}
		if src, err = os.Executable(); err != nil {
			b.Fatal(err)
		}
		b.Logf("../bin/nomad-pledge-driver missing (run make build): measuring the test binary %s", src)
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "pledge")
	if err := os.Symlink(src, bin); err != nil {
		b.Fatal(err)
	}
	return bin
}

// BenchmarkStartTask measures StartTask-to-running latency: the StartTask
// RPC, by whose answer the task's init runs in its namespaces and has
// started the sandboxed command. The agent's config encoding and
// Capabilities call before it are not timed (they cost the agent, not the
// driver); ms-agent-median times the harness's whole Start, which includes
// them. Target: ms-median under 15.
func BenchmarkStartTask(b *testing.B) {
	p := benchPlugin(b)
	var rpc, whole []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		task := p.NewTask(plugintest.TaskOptions{Config: sleepTask, DisableLogs: true})
		raw, err := p.EncodeConfig(sleepTask, task.Vars)
		if err != nil {
			b.Fatal(err)
		}
		task.Config.MsgpackDriverConfig = raw
		b.StartTimer()
		begin := time.Now()
		_, err = p.Driver().StartTask(context.Background(), &driverpb.StartTaskRequest{Task: task.Config})
		rpc = append(rpc, time.Since(begin))
		b.StopTimer()
		if err != nil {
			b.Fatalf("StartTask: %v\n%s", err, p.Log())
		}
		if _, err := p.Driver().DestroyTask(context.Background(), &driverpb.DestroyTaskRequest{TaskId: task.ID(), Force: true}); err != nil {
			b.Fatal(err)
		}
		whole = append(whole, agentStart(b, p))
		b.StartTimer()
	}
	b.ReportMetric(ms(median(rpc)), "ms-median")
	b.ReportMetric(ms(percentile(rpc, 90)), "ms-p90")
	b.ReportMetric(ms(median(whole)), "ms-agent-median")
}

// agentStart times the harness's Start of one task (encoding, Capabilities,
// StartTask) and destroys the task.
func agentStart(b *testing.B, p *plugintest.Plugin) time.Duration {
	task := p.NewTask(plugintest.TaskOptions{Config: sleepTask, DisableLogs: true})
	begin := time.Now()
	if err := task.Start(); err != nil {
		b.Fatal(err)
	}
	took := time.Since(begin)
	if err := task.Destroy(true); err != nil {
		b.Fatal(err)
	}
	return took
}

func median(d []time.Duration) time.Duration { return percentile(d, 50) }

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

// BenchmarkIdleRSS is the plugin process's memory once launched and idle.
// Target: RSS under 30 MiB.
func BenchmarkIdleRSS(b *testing.B) {
	p := benchPlugin(b)
	time.Sleep(time.Second)
	var m procMemory
	for b.Loop() {
		var err error
		if m, err = readProcMemory(p.PID()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(mibOf(m.rss), "MiB-RSS")
	b.ReportMetric(mibOf(m.pss), "MiB-PSS")
}

// BenchmarkMemoryPerTask runs N sleep tasks at once (PLEDGE_BENCH_TASKS,
// default 200, the count the target is stated for) and reports the memory
// they add beyond their command: the plugin's growth plus every helper
// process per task (init, and any other process the driver keeps), as
// proportional set size, so the binary text the helpers share (with each
// other, or with the plugin when it re-executes itself) is counted once in
// total. Kernel objects (namespaces, page tables) are not in PSS.
// Target: under 2 MiB per task.
func BenchmarkMemoryPerTask(b *testing.B) {
	n := defaultMemoryTasks
	if s := os.Getenv(memoryTasksEnv); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive number of tasks", memoryTasksEnv, s)
		}
	}
	for b.Loop() {
		p := benchPlugin(b)
		// One task first, so that start-up work done once (the
		// sandbox's caches, gRPC buffers) counts as idle cost.
		if err := p.NewTask(plugintest.TaskOptions{Config: sleepTask, DisableLogs: true}).Start(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		before, err := driverMemory(p.PID())
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if err := p.NewTask(plugintest.TaskOptions{Config: sleepTask, DisableLogs: true}).Start(); err != nil {
				b.Fatalf("task %d: %v", i, err)
			}
		}
		time.Sleep(time.Second)
		after, err := driverMemory(p.PID())
		if err != nil {
			b.Fatal(err)
		}
		added := after.helperCount - before.helperCount
		b.ReportMetric(float64(n), "tasks")
		b.ReportMetric(mibDelta(before.total(), after.total())/float64(n), "MiB-PSS/task")
		b.ReportMetric(mibDelta(before.plugin.pss, after.plugin.pss)/float64(n), "MiB-plugin-growth/task")
		b.ReportMetric(float64(added)/float64(n), "helpers/task")
		if after.helperCount > 0 {
			b.ReportMetric(mibOf(after.helpers.private)/float64(after.helperCount), "MiB-private/helper")
		}
	}
}

// driverUsage is the memory of the plugin and of every process below it
// that is not a task's own command.
type driverUsage struct {
	plugin, helpers procMemory
	helperCount     int
}

func (u driverUsage) total() uint64 { return u.plugin.pss + u.helpers.pss }

// driverMemory walks the plugin's process tree. Task commands (sleep) are
// the workload, not the driver's cost, and are skipped, along with their
// own children.
func driverMemory(plugin int) (driverUsage, error) {
	var u driverUsage
	var err error
	if u.plugin, err = readProcMemory(plugin); err != nil {
		return u, err
	}
	queue := childrenOf(plugin)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) == "sleep" {
			continue
		}
		m, err := readProcMemory(pid)
		if err != nil {
			continue // exited meanwhile
		}
		u.helpers.add(m)
		u.helperCount++
		queue = append(queue, childrenOf(pid)...)
	}
	return u, nil
}

// procMemory is a process's resident, proportional and private
// (Private_Clean + Private_Dirty) memory in bytes.
type procMemory struct{ rss, pss, private uint64 }

func (m *procMemory) add(o procMemory) {
	m.rss += o.rss
	m.pss += o.pss
	m.private += o.private
}

// readProcMemory reads Rss and Pss from /proc/<pid>/smaps_rollup.
func readProcMemory(pid int) (procMemory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return procMemory{}, err
	}
	defer f.Close()
	var m procMemory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[2] != "kB" {
			continue
		}
		kb, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return procMemory{}, fmt.Errorf("smaps_rollup of %d: %q: %w", pid, sc.Text(), err)
		}
		switch f[0] {
		case "Rss:":
			m.rss = kb << 10
		case "Pss:":
			m.pss = kb << 10
		case "Private_Clean:", "Private_Dirty:":
			m.private += kb << 10
		}
	}
	if m.rss == 0 {
		return m, fmt.Errorf("smaps_rollup of %d has no Rss line", pid)
	}
	return m, sc.Err()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mibOf(bytes uint64) float64 { return float64(bytes) / (1 << 20) }

// mibDelta is after-before in MiB; memory can shrink (the Go heap is
// returned to the kernel), so the result may be negative.
func mibDelta(before, after uint64) float64 { return mibOf(after) - mibOf(before) }
