package driver_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/driver"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// clientPath is the PATH of a Nomad client started by systemd. The tasks
// get it instead of this test process's PATH, whose first python3 is a
// pyenv shim (a bash script that execs, which the jobs' promises rightly
// forbid).
const clientPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// classicJobs are the job files the suite expects, one per classic example.
var classicJobs = []string{"bridge", "cgroup", "curl", "env", "http", "ignore", "passwd", "ps", "resources", "sleep"}

func loadJobs(t *testing.T) map[string]*jobTask {
	t.Helper()
	jobs, err := readJobFiles(jobsDir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, jt := range jobs {
		files[jt.File] = true
	}
	for _, f := range classicJobs {
		if !files[f] {
			t.Errorf("%s/%s.hcl has no pledge task", jobsDir, f)
		}
	}
	return jobs
}

// taskOptions is what the client would send for the job's task. Each port
// label becomes NOMAD_PORT_<label>: the `to` port, or for a dynamic port a
// free loopback port, as the client would pick one.
func (jt *jobTask) taskOptions(t *testing.T) plugintest.TaskOptions {
	t.Helper()
	env := map[string]string{"PATH": clientPath}
	for name, to := range jt.Ports {
		if to == 0 {
			to = freePort(t)
		}
		env["NOMAD_PORT_"+name] = strconv.Itoa(to)
	}
	return plugintest.TaskOptions{
		Name: jt.Name, Group: jt.Group, Job: jt.Job,
		Config: jt.Config, User: jt.User, Meta: jt.Meta, Env: env,
		CPU: jt.CPU, MemoryMB: jt.MemoryMB, MemoryMaxMB: jt.MemoryMaxMB,
	}
}

// TestJobsDecode encodes every pledge task's config body, of the test jobs
// and of examples/, with the plugin's TaskConfigSchema and the task
// environment as variables, as the agent does, and validates the result as
// StartTask would.
func TestJobsDecode(t *testing.T) {
	p, _ := launch(t, "")
	jobs := loadJobs(t)
	examples, err := readJobFiles(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	for k, jt := range examples {
		jobs["examples/"+k] = jt
	}
	keys := make([]string, 0, len(jobs))
	for k := range jobs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		jt := jobs[key]
		t.Run(key, func(t *testing.T) {
			task := p.NewTask(jt.taskOptions(t))
			raw, err := p.EncodeConfig(jt.Config, task.Vars)
			if err != nil {
				t.Fatalf("agent validation: %v", err)
			}
			if err := driver.ValidateTaskConfig(raw, task.TaskDir()); err != nil {
				t.Fatalf("driver validation: %v", err)
			}
		})
	}
}

// TestJobsRun runs the jobs that need no cluster service as real tasks,
// with loopback servers where the examples reach the internet. bridge needs
// the group network namespace Nomad creates and resources reads the cgroups
// Nomad creates; both are only decoded here.
func TestJobsRun(t *testing.T) {
	p, _ := launch(t, "")
	jobs := loadJobs(t)
	runs := []struct {
		job   string
		needs []string
		run   func(*testing.T, *plugintest.Plugin, *jobTask)
	}{
		{"env", []string{"env"}, runEnvJob},
		{"sleep", []string{"sleep"}, runSleepJob},
		{"passwd", []string{"cat"}, runPasswdJob},
		{"ps", []string{"ps"}, runPSJob},
		{"cgroup", []string{"cat"}, runCgroupJob},
		{"curl", []string{"curl"}, runCurlJob},
		{"http", []string{"python3"}, runHTTPJob},
		{"ignore", []string{"python3"}, runIgnoreJob},
	}
	for _, r := range runs {
		t.Run(r.job, func(t *testing.T) {
			t.Parallel()
			for _, prog := range r.needs {
				if !onClientPath(prog) {
					t.Skipf("%s is not installed on %s", prog, clientPath)
				}
			}
			jt := jobs[r.job+"/"+r.job]
			if jt == nil {
				jt = soleTask(t, jobs, r.job)
			}
			r.run(t, p, jt)
		})
	}
}

// soleTask is the only pledge task of a job file.
func soleTask(t *testing.T, jobs map[string]*jobTask, file string) *jobTask {
	t.Helper()
	var found *jobTask
	for _, jt := range jobs {
		if jt.File == file {
			if found != nil {
				t.Fatalf("%s.hcl has more than one pledge task", file)
			}
			found = jt
		}
	}
	if found == nil {
		t.Fatalf("%s.hcl has no pledge task", file)
	}
	return found
}

func onClientPath(prog string) bool {
	for _, dir := range filepath.SplitList(clientPath) {
		if unix.Access(filepath.Join(dir, prog), unix.X_OK) == nil {
			return true
		}
	}
	return false
}

// startJob renders the task's templates and starts it.
func startJob(t *testing.T, p *plugintest.Plugin, jt *jobTask, opts plugintest.TaskOptions) *plugintest.Task {
	t.Helper()
	task := p.NewTask(opts)
	if err := jt.render(task.TaskDir()); err != nil {
		t.Fatal(err)
	}
	if err := task.Start(); err != nil {
		t.Fatalf("start %s: %v\nplugin log:\n%s", jt.File, err, p.Log())
	}
	return task
}

// succeed waits for the task and requires exit code 0.
func succeed(t *testing.T, task *plugintest.Task) {
	t.Helper()
	if res := wait(t, task); res.GetExitCode() != 0 || res.GetSignal() != 0 {
		t.Fatalf("exit %+v; stdout %q stderr %q", res, task.Stdout.String(), task.Stderr.String())
	}
}

func runEnvJob(t *testing.T, p *plugintest.Plugin, jt *jobTask) {
	task := startJob(t, p, jt, jt.taskOptions(t))
	succeed(t, task)
	if err := task.Stdout.Wait("NOMAD_TASK_NAME="+jt.Name+"\n", 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

func runSleepJob(t *testing.T, p *plugintest.Plugin, jt *jobTask) {
	task := startJob(t, p, jt, jt.taskOptions(t))
	waitForProgram(t, task, "sleep")
	if err := task.Stop(10*time.Second, ""); err != nil {
		t.Fatal(err)
	}
	if res := wait(t, task); res.GetSignal() != int32(unix.SIGTERM) {
		t.Errorf("exit %+v, want killed by the SIGTERM init forwarded", res)
	}
}

func runPasswdJob(t *testing.T, p *plugintest.Plugin, jt *jobTask) {
	task := startJob(t, p, jt, jt.taskOptions(t))
	if res := wait(t, task); res.GetExitCode() != 1 || res.GetSignal() != 0 {
		t.Fatalf("exit %+v, want 1 (stdout %q)", res, task.Stdout.String())
	}
	if err := task.Stderr.Wait("/etc/passwd: Permission denied", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if task.Stdout.String() != "" {
		t.Errorf("cat printed %q", task.Stdout.String())
	}
}

// runPSJob requires ps to list exactly the task's two processes: its init
// as PID 1 and ps itself.
func runPSJob(t *testing.T, p *plugintest.Plugin, jt *jobTask) {
	task := startJob(t, p, jt, jt.taskOptions(t))
	succeed(t, task)
	if err := task.Stdout.Wait("ps aux", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(task.Stdout.String()), "\n")
	if len(rows) != 3 || !strings.HasPrefix(rows[0], "USER") {
		t.Fatalf("ps shows %d rows, want a header and two processes:\n%s", len(rows), task.Stdout.String())
	}
	var pids []int
	for _, row := range rows[1:] {
		f := strings.Fields(row)
		pid, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("row %q: %v", row, err)
		}
		pids = append(pids, pid)
	}
	if pids[0] != 1 || pids[1] > 10 {
		t.Errorf("pids %v, want 1 (init) and a small pid (ps) of the task's own namespace", pids)
	}
}

func runCgroupJob(t *testing.T, p *plugintest.Plugin, jt *jobTask) {
	task := startJob(t, p, jt, jt.taskOptions(t))
	succeed(t, task)
	if err := task.Stdout.Wait("\n", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^\d+:[^:\n]*:/`)
	if !line.MatchString(task.Stdout.String()) {
		t.Errorf("no cgroup line in %q", task.Stdout.String())
	}
}

func runCurlJob(t *testing.T, p *plugintest.Plugin, jt *jobTask) {
	const body = "hello from a loopback server\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, body)
	}))
	defer srv.Close()
	opts := jt.taskOptions(t)
	opts.Meta = merge(opts.Meta, map[string]string{"url": srv.URL + "/"})
	task := startJob(t, p, jt, opts)
	succeed(t, task)
	if err := task.Stdout.Wait(body, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// runHTTPJob serves the rendered index.html on a free loopback port, as
// nobody, and fetches it.
func runHTTPJob(t *testing.T, p *plugintest.Plugin, jt *jobTask) {
	opts := jt.taskOptions(t)
	task := startJob(t, p, jt, opts)
	url := "http://127.0.0.1:" + opts.Env["NOMAD_PORT_http"] + "/"
	got, err := fetchUntil(url, 20*time.Second)
	if err != nil {
		t.Fatalf("%v; stderr %q", err, task.Stderr.String())
	}
	if want := jt.Templates["local/index.html"]; got != want {
		t.Errorf("GET %s = %q, want %q", url, got, want)
	}
	if err := task.Stop(5*time.Second, ""); err != nil {
		t.Fatal(err)
	}
	wait(t, task)
}

// runIgnoreJob stops a task that ignores SIGTERM: the driver must kill it
// once kill_timeout has passed, and not before.
func runIgnoreJob(t *testing.T, p *plugintest.Plugin, jt *jobTask) {
	if jt.KillTimeout == 0 {
		t.Fatal("ignore.hcl sets no kill_timeout")
	}
	task := startJob(t, p, jt, jt.taskOptions(t))
	if err := task.Stdout.Wait("ignoring SIGINT and SIGTERM", 20*time.Second); err != nil {
		t.Fatalf("%v; stderr %q", err, task.Stderr.String())
	}
	begin := time.Now()
	if err := task.Stop(jt.KillTimeout, ""); err != nil {
		t.Fatal(err)
	}
	res := wait(t, task)
	if res.GetSignal() != int32(unix.SIGKILL) {
		t.Errorf("exit %+v, want SIGKILL after kill_timeout", res)
	}
	if took := time.Since(begin); took < jt.KillTimeout {
		t.Errorf("stopped after %v, before kill_timeout %v", took, jt.KillTimeout)
	}
}

// freePort is a loopback TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// fetchUntil GETs url until the server answers 200, for up to timeout.
func fetchUntil(url string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && rerr == nil {
				return string(b), nil
			}
			err = fmt.Errorf("status %s, read error %v", resp.Status, rerr)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("GET %s: no answer within %v: %w", url, timeout, last)
}

// waitForProgram waits until the task's init has a child running prog: the
// shim has exec'd the command, so signals now reach the command itself.
func waitForProgram(t *testing.T, task *plugintest.Task, prog string) int {
	t.Helper()
	init := initPID(t, task)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, pid := range childrenOf(init) {
			if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == prog {
				return pid
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the task never ran %s (init %d)", prog, init)
	return 0
}

// initPID is the task's init as InspectTask reports it.
func initPID(t *testing.T, task *plugintest.Task) int {
	t.Helper()
	insp, err := task.Inspect()
	if err != nil {
		t.Fatal(err)
	}
	if insp.GetTask().GetState() != driverpb.TaskState_RUNNING {
		t.Fatalf("task state %v, want running", insp.GetTask().GetState())
	}
	pid, err := strconv.Atoi(insp.GetDriver().GetAttributes()["pid"])
	if err != nil {
		t.Fatalf("InspectTask driver attribute pid: %v", err)
	}
	return pid
}

// childrenOf lists the children of pid from /proc/<pid>/task/*/children.
func childrenOf(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(s); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}
