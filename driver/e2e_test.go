package driver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/driver"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// These tests drive the built plugin binary through plugintest exactly as a
// Nomad agent would. They need root (tasks switch users and get private pid
// namespaces) and a kernel with seccomp and Landlock. On this host they run
// without cgroups (the agent's cpuset_cgroup does not exist and the host is
// not cgroup v2), so nothing is moved between cgroups.

// The test binary is the plugin: run as a helper entry or by the harness
// (with the handshake cookie) it behaves exactly like cmd/nomad-pledge-driver,
// so the same tests run in the VM, where no Go toolchain could build it.
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == parentStatusArg {
		os.Exit(printParentStatus())
	}
	if driver.IsHelper(os.Args) || driver.StartedByAgent() {
		os.Exit(driver.Main(os.Args, "0.0.0-test", nil))
	}
	os.Exit(m.Run())
}

// pluginDir creates a directory every user may read and search, removed
// after the test, for the plugin binary, as an agent's plugin_dir.
func pluginDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pledge-plugin-dir-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// pluginBinary links the test binary into a directory under the plugin's
// name, as an agent's plugin_dir holds it.
func pluginBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(pluginDir(t), "pledge")
	if err := os.Symlink(self, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// launch starts the plugin as the agent would.
func launch(t *testing.T, config string) (*plugintest.Plugin, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("end-to-end driver tests need root")
	}
	bin := pluginBinary(t)
	return plugintest.MustLaunch(t, bin, plugintest.Options{Config: config}), bin
}

func start(t *testing.T, p *plugintest.Plugin, opts plugintest.TaskOptions) *plugintest.Task {
	t.Helper()
	task := p.NewTask(opts)
	if err := task.Start(); err != nil {
		t.Fatalf("start: %v\nplugin log:\n%s", err, p.Log())
	}
	return task
}

func wait(t *testing.T, task *plugintest.Task) *driverpb.ExitResult {
	t.Helper()
	res, err := task.Wait(30 * time.Second)
	if err != nil {
		t.Fatalf("wait: %v (stderr %q)", err, task.Stderr.String())
	}
	return res
}

func TestE2EFingerprint(t *testing.T) {
	p, _ := launch(t, "")
	fp, err := p.Fingerprints.Wait(0, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fp.GetHealth() != driverpb.FingerprintResponse_HEALTHY {
		t.Fatalf("health %v: %s", fp.GetHealth(), fp.GetHealthDescription())
	}
	for _, k := range []string{"version", "landlock_abi", "seccomp_notify", "cgroup", "cap.net_bind", "os", "arch"} {
		if _, ok := fp.GetAttributes()["driver.pledge."+k]; !ok {
			t.Errorf("attribute driver.pledge.%s missing", k)
		}
	}
	if p.Info().GetName() != "pledge" {
		t.Errorf("plugin name %q, want pledge", p.Info().GetName())
	}
}

func TestE2EEchoReachesLog(t *testing.T) {
	p, _ := launch(t, "")
	task := start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/echo"
args     = ["hello", "from", "${NOMAD_TASK_NAME}"]
promises = "stdio rpath"`})
	if res := wait(t, task); res.GetExitCode() != 0 || res.GetSignal() != 0 {
		t.Fatalf("exit %+v, stderr %q", res, task.Stderr.String())
	}
	if err := task.Stdout.Wait("hello from task", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := task.Destroy(true); err != nil {
		t.Fatal(err)
	}
	if err := task.Destroy(true); err != nil {
		t.Fatalf("second destroy: %v", err)
	}
}

func TestE2EHiddenFileDenied(t *testing.T) {
	p, _ := launch(t, "")
	task := start(t, p, plugintest.TaskOptions{User: "root", Config: `
command  = "/bin/cat"
args     = ["/etc/passwd"]
promises = "stdio rpath"`})
	res := wait(t, task)
	if res.GetExitCode() == 0 {
		t.Fatalf("cat /etc/passwd succeeded without an unveil: %q", task.Stdout.String())
	}
	if err := task.Stderr.Wait("Permission denied", 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestE2EDeniedSyscallEvent(t *testing.T) {
	p, bin := launch(t, "")
	from := p.Events.Len()
	task := start(t, p, plugintest.TaskOptions{Config: `
command  = "` + bin + `"
args     = ["__probe", "socket"]
promises = "stdio"`})
	if res := wait(t, task); res.GetExitCode() != int32(unix.EPERM) {
		t.Fatalf("exit %+v, want EPERM (%d); stderr %q", res, unix.EPERM, task.Stderr.String())
	}
	ev, err := p.Events.Wait(from, 5*time.Second, func(e *driverpb.DriverTaskEvent) bool {
		return e.GetTaskId() == task.ID() && strings.Contains(e.GetMessage(), "socket")
	})
	if err != nil {
		t.Fatalf("no violation event: %v", err)
	}
	if !strings.Contains(ev.GetMessage(), "'inet'") || ev.GetAnnotations()["syscall"] != "socket" {
		t.Errorf("event %q %v does not name the syscall and its promise", ev.GetMessage(), ev.GetAnnotations())
	}
}

func TestE2EPIDNamespace(t *testing.T) {
	p, bin := launch(t, "")
	task := start(t, p, plugintest.TaskOptions{Config: `
command  = "` + bin + `"
args     = ["__probe", "pid"]
promises = "stdio"`})
	if res := wait(t, task); res.GetExitCode() != 0 {
		t.Fatalf("exit %+v: the task's parent is not PID 1 (init)", res)
	}
}

func TestE2EStopKillsAfterTimeout(t *testing.T) {
	p, bin := launch(t, "")
	task := start(t, p, plugintest.TaskOptions{Config: `
command  = "` + bin + `"
args     = ["__probe", "ignore-term"]
promises = "stdio"`})
	if err := task.Stdout.Wait("ready", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if err := task.Stop(time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	res := wait(t, task)
	if res.GetSignal() != int32(unix.SIGKILL) {
		t.Errorf("exit %+v, want killed by SIGKILL after kill_timeout", res)
	}
	if time.Since(begin) < time.Second {
		t.Errorf("stopped after %v, before kill_timeout", time.Since(begin))
	}
}

// TestE2EStopKillsHostPIDTaskWithoutCgroup: in the host's pid namespace
// and without a cgroup (this host creates none), killing init alone would
// leave a SIGTERM-ignoring task running; stop must kill the task itself.
func TestE2EStopKillsHostPIDTaskWithoutCgroup(t *testing.T) {
	p, bin := launch(t, "")
	task := start(t, p, plugintest.TaskOptions{Config: `
command  = "` + bin + `"
args     = ["__probe", "ignore-term"]
promises = "stdio"
pid_mode = "host"`})
	if err := task.Stdout.Wait("ready pid=", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(task.Stdout.String(), "ready pid=")
	pid, err := strconv.Atoi(strings.TrimSpace(after))
	if err != nil {
		t.Fatalf("probe output %q: %v", task.Stdout.String(), err)
	}
	if err := task.Stop(time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if res := wait(t, task); res.GetSignal() != int32(unix.SIGKILL) {
		t.Errorf("exit %+v, want killed by SIGKILL after kill_timeout", res)
	}
	for deadline := time.Now().Add(10 * time.Second); unix.Kill(pid, 0) == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("task process %d still exists after StopTask", pid)
		}
	}
}

func TestE2ESignalAndStop(t *testing.T) {
	p, _ := launch(t, "")
	task := start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/sleep"
args     = ["60"]
promises = "stdio rpath"`})
	if err := task.Signal("SIGNOPE"); err == nil {
		t.Error("an unknown signal name was accepted")
	}
	if err := task.Signal("SIGUSR1"); err != nil {
		t.Fatal(err)
	}
	if res := wait(t, task); res.GetSignal() != int32(unix.SIGUSR1) {
		t.Errorf("exit %+v, want killed by SIGUSR1", res)
	}
	insp, err := task.Inspect()
	if err != nil {
		t.Fatal(err)
	}
	if insp.GetTask().GetState() != driverpb.TaskState_EXITED || insp.GetTask().GetCompletedAt() == nil {
		t.Errorf("inspect after exit: %+v", insp.GetTask())
	}
}

func TestE2ERecoverAfterPluginKill(t *testing.T) {
	p, _ := launch(t, "")
	var tasks []*plugintest.Task
	for i := 0; i < 3; i++ {
		tasks = append(tasks, start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/sleep"
args     = ["60"]
promises = "stdio rpath"`}))
	}
	if err := p.KillAndRecover(tasks...); err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		insp, err := task.Inspect()
		if err != nil {
			t.Fatal(err)
		}
		if insp.GetTask().GetState() != driverpb.TaskState_RUNNING {
			t.Fatalf("recovered task state %v", insp.GetTask().GetState())
		}
		if err := task.Stop(5*time.Second, ""); err != nil {
			t.Fatal(err)
		}
		if res := wait(t, task); res.GetSignal() != int32(unix.SIGTERM) {
			t.Errorf("recovered task exit %+v, want SIGTERM", res)
		}
	}
}

func TestE2EExec(t *testing.T) {
	p, _ := launch(t, "")
	task := start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/sleep"
args     = ["60"]
promises = "stdio rpath tty"`})
	defer task.Stop(time.Second, "SIGKILL")
	out, err := task.Exec([]string{"/bin/echo", "checked"}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(out.GetStdout()) != "checked\n" || out.GetResult().GetExitCode() != 0 {
		t.Errorf("exec: stdout %q stderr %q result %+v", out.GetStdout(), out.GetStderr(), out.GetResult())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := task.ExecStreaming(ctx, plugintest.ExecRequest{Command: []string{"/bin/cat"}, Stdin: strings.NewReader("piped\n")})
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Stdout) != "piped\n" || s.Result.GetExitCode() != 0 {
		t.Errorf("streaming exec: stdout %q result %+v", s.Stdout, s.Result)
	}
	s, err = task.ExecStreaming(ctx, plugintest.ExecRequest{
		Command: []string{"/bin/cat"},
		Tty:     true,
		Sizes:   []*driverpb.ExecTaskStreamingRequest_TerminalSize{{Height: 40, Width: 100}},
		Stdin:   strings.NewReader("typed\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(s.Stdout), "typed\r\n") || s.Result.GetExitCode() != 0 {
		t.Errorf("tty exec: stdout %q result %+v", s.Stdout, s.Result)
	}
}

func TestE2EStats(t *testing.T) {
	p, _ := launch(t, "")
	task := start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/sleep"
args     = ["60"]
promises = "stdio rpath"`})
	defer task.Stop(time.Second, "SIGKILL")
	st, err := task.Stats(200 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.Wait(1, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.GetTimestamp() == nil || s.GetAggResourceUsage().GetMemory().GetRss() == 0 {
		t.Errorf("stats sample %+v lacks a timestamp or memory", s)
	}
}

func TestE2EOperatorPolicyRejects(t *testing.T) {
	p, _ := launch(t, `allowed_promises = "stdio rpath"`)
	task := p.NewTask(plugintest.TaskOptions{Config: `
command  = "/bin/true"
promises = "stdio inet"`})
	err := task.Start()
	var pe *plugintest.Error
	if !errors.As(err, &pe) || pe.AgentRecoverable() || !strings.Contains(pe.Message, "not allowed by the operator") {
		t.Fatalf("start = %v, want a non-recoverable operator policy error", err)
	}
	task = p.NewTask(plugintest.TaskOptions{Config: `
command    = "/bin/true"
importance = "urgent"`})
	err = task.Start()
	if !errors.As(err, &pe) || pe.AgentRecoverable() || !strings.Contains(pe.Message, "accepted values are lowest, low, normal, high, highest") {
		t.Fatalf("start = %v, want a non-recoverable error naming importance", err)
	}
}
