package driver_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// nobody is the unprivileged user the rootless tests run the plugin as.
const nobody = 65534

// launchRootless launches a copy of the plugin (this test binary), in a
// directory every user may read and execute, as uid and gid 65534 without
// supplementary groups: an agent running as nobody.
func launchRootless(t *testing.T) (*plugintest.Plugin, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("launching the plugin as uid 65534 needs root")
	}
	requireUnprivilegedUserNS(t)
	bin := filepath.Join(pluginDir(t), "pledge")
	copyFile(t, "/proc/self/exe", bin)
	p := plugintest.MustLaunch(t, bin, plugintest.Options{
		Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}},
	})
	return p, bin
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// requireUnprivilegedUserNS skips when the kernel refuses user namespaces
// to unprivileged processes, naming the setting that does.
func requireUnprivilegedUserNS(t *testing.T) {
	t.Helper()
	for file, refusing := range map[string]string{
		"/proc/sys/user/max_user_namespaces":                     "0",
		"/proc/sys/kernel/unprivileged_userns_clone":             "0",
		"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1",
	} {
		if b, err := os.ReadFile(file); err == nil && strings.TrimSpace(string(b)) == refusing {
			t.Skipf("the kernel refuses user namespaces to unprivileged processes: %s is %s", file, refusing)
		}
	}
}

// statusField returns the whitespace-normalised value of a
// /proc/<pid>/status line.
func statusField(status, key string) string {
	for _, line := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

// numericEntries are the pids in an ls of /proc.
func numericEntries(ls string) []string {
	var pids []string
	for _, name := range strings.Fields(ls) {
		if _, err := strconv.Atoi(name); err == nil {
			pids = append(pids, name)
		}
	}
	return pids
}

// TestE2ERootless runs the plugin as nobody, as an unprivileged agent
// would, on a host where nothing is delegated to nobody: tasks run as
// nobody in a private pid namespace of their own user namespace, without a
// capability and without a cgroup, and Landlock and seccomp hold as for a
// root driver.
func TestE2ERootless(t *testing.T) {
	p, bin := launchRootless(t)

	t.Run("fingerprint", func(t *testing.T) {
		fp, err := p.Fingerprints.Wait(0, 5*time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		if fp.GetHealth() != driverpb.FingerprintResponse_HEALTHY || !strings.Contains(fp.GetHealthDescription(), "without root") {
			t.Errorf("health %v %q, want healthy and saying it runs without root", fp.GetHealth(), fp.GetHealthDescription())
		}
		if got := fp.GetAttributes()["driver.pledge.cgroup"].GetStringVal(); got != "none" {
			t.Errorf("driver.pledge.cgroup = %q, want none: nobody may use no cgroup here", got)
		}
	})

	t.Run("identity and capabilities", func(t *testing.T) {
		task := start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/cat"
args     = ["/proc/self/status"]
promises = "stdio rpath"
unveil   = ["r:/proc"]`})
		if res := wait(t, task); res.GetExitCode() != 0 {
			t.Fatalf("exit %+v, stderr %q", res, task.Stderr.String())
		}
		if err := task.Stdout.Wait("NoNewPrivs", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		degraded := func(e *driverpb.DriverTaskEvent) bool {
			return e.GetTaskId() == task.ID() && strings.Contains(e.GetMessage(), "no cgroup v2 subtree is delegated")
		}
		if _, err := p.Events.Wait(0, 5*time.Second, degraded); err != nil {
			t.Errorf("no task event about running without a cgroup: %v", err)
		}
		status := task.Stdout.String()
		for key, want := range map[string]string{
			"Uid":    "65534 65534 65534 65534",
			"Gid":    "65534 65534 65534 65534",
			"Groups": "",
			"CapEff": "0000000000000000",
			"CapPrm": "0000000000000000",
			"CapInh": "0000000000000000",
			"CapBnd": "0000000000000000",
			"CapAmb": "0000000000000000",
		} {
			if got := statusField(status, key); got != want {
				t.Errorf("task's %s = %q, want %q", key, got, want)
			}
		}
	})

	t.Run("private pid namespace", func(t *testing.T) {
		task := start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/ls"
args     = ["/proc"]
promises = "stdio rpath"
unveil   = ["r:/proc"]`})
		if res := wait(t, task); res.GetExitCode() != 0 {
			t.Fatalf("exit %+v, stderr %q", res, task.Stderr.String())
		}
		if err := task.Stdout.Wait("self", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if pids := numericEntries(task.Stdout.String()); len(pids) != 2 || pids[0] != "1" {
			t.Errorf("task sees pids %v in /proc, want init (1) and itself", pids)
		}
	})

	t.Run("hidden file", func(t *testing.T) {
		task := start(t, p, plugintest.TaskOptions{Config: `
command  = "` + bin + `"
args     = ["__probe", "read", "/etc/passwd"]
promises = "stdio rpath"`})
		if res := wait(t, task); res.GetExitCode() != int32(unix.EACCES) {
			t.Errorf("exit %+v, want EACCES (%d): /etc/passwd is readable by nobody but not unveiled; stderr %q", res, unix.EACCES, task.Stderr.String())
		}
	})

	t.Run("denied syscall", func(t *testing.T) {
		from := p.Events.Len()
		task := start(t, p, plugintest.TaskOptions{Config: `
command  = "` + bin + `"
args     = ["__probe", "socket"]
promises = "stdio"`})
		if res := wait(t, task); res.GetExitCode() != int32(unix.EPERM) {
			t.Fatalf("exit %+v, want EPERM (%d); stderr %q", res, unix.EPERM, task.Stderr.String())
		}
		isViolation := func(e *driverpb.DriverTaskEvent) bool {
			return e.GetTaskId() == task.ID() && e.GetAnnotations()["syscall"] == "socket"
		}
		if _, err := p.Events.Wait(from, 5*time.Second, isViolation); err != nil {
			t.Fatalf("no violation event: %v", err)
		}
		if n := countEvents(p, from, isViolation); n != 1 {
			t.Errorf("%d violation events for one denied socket call, want 1", n)
		}
	})

	t.Run("exec", func(t *testing.T) {
		task := start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/sleep"
args     = ["60"]
promises = "stdio rpath"
unveil   = ["r:/proc"]`})
		res, err := task.Exec([]string{"/bin/ls", "/proc"}, 10*time.Second)
		if err != nil {
			t.Fatalf("exec: %v\nplugin log:\n%s", err, p.Log())
		}
		if res.GetResult().GetExitCode() != 0 {
			t.Fatalf("exec exit %+v, stderr %q", res.GetResult(), res.GetStderr())
		}
		if pids := numericEntries(string(res.GetStdout())); len(pids) != 3 || pids[0] != "1" {
			t.Errorf("exec'd command sees pids %v, want init, the task and itself", pids)
		}
		if err := task.Destroy(true); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("SIGTERM stops", func(t *testing.T) {
		task := start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/sleep"
args     = ["60"]
promises = "stdio rpath"`})
		if err := task.Stop(10*time.Second, "SIGTERM"); err != nil {
			t.Fatal(err)
		}
		if res := wait(t, task); res.GetSignal() != int32(unix.SIGTERM) {
			t.Errorf("exit %+v, want killed by SIGTERM (forwarded by init to a task without a handler)", res)
		}
	})

	t.Run("recovered and supervised", func(t *testing.T) {
		task := start(t, p, plugintest.TaskOptions{Config: `
command  = "` + bin + `"
args     = ["__probe", "usr1-socket"]
promises = "stdio"`})
		if err := task.Stdout.Wait("ready", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := p.KillAndRecover(task); err != nil {
			t.Fatal(err)
		}
		wantRecoveredViolation(t, p, task)
	})

	t.Run("user root refused", func(t *testing.T) {
		task := p.NewTask(plugintest.TaskOptions{User: "root", Config: `
command  = "/bin/true"
promises = "stdio rpath"`})
		wantFatal(t, task.Start(), "runs without root")
	})

	t.Run("bridge network refused", func(t *testing.T) {
		task := p.NewTask(plugintest.TaskOptions{Config: `
command  = "/bin/true"
promises = "stdio rpath"`})
		task.Config.NetworkIsolationSpec = &driverpb.NetworkIsolationSpec{Mode: driverpb.NetworkIsolationSpec_GROUP, Path: "/var/run/netns/plugintest"}
		wantFatal(t, task.Start(), "CAP_SYS_ADMIN")
	})

	t.Run("cap_add refused", func(t *testing.T) {
		task := p.NewTask(plugintest.TaskOptions{Config: `
command  = "/bin/true"
promises = "stdio rpath"
cap_add  = ["net_bind_service"]`})
		wantFatal(t, task.Start(), "no capabilities to pass on")
	})
}

// wantFatal checks that a StartTask failed with a non-recoverable error
// saying why.
func wantFatal(t *testing.T, err error, why string) {
	t.Helper()
	var perr *plugintest.Error
	if !errors.As(err, &perr) {
		t.Fatalf("StartTask: %v, want an RPC error", err)
	}
	if perr.AgentRecoverable() || !strings.Contains(perr.Message, why) {
		t.Errorf("StartTask: %v (recoverable %t), want a non-recoverable error saying %q", err, perr.AgentRecoverable(), why)
	}
}

// countEvents counts the events from index from on that match.
func countEvents(p *plugintest.Plugin, from int, match func(*driverpb.DriverTaskEvent) bool) int {
	return len(slices.DeleteFunc(p.Events.All()[from:], func(e *driverpb.DriverTaskEvent) bool { return !match(e) }))
}
