package driver_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// installedPlugin is the binary `make build` writes, with the task helper
// embedded. The other end-to-end tests run the test binary as the plugin,
// which re-executes itself as init and shim.
const installedPlugin = "../bin/nomad-pledge-driver"

// TestE2EInstalledPlugin runs the installed plugin: init and shim run from
// the embedded helper's memfd, exec enters the task's namespaces through
// it, denials are reported, and tasks survive a plugin restart.
func TestE2EInstalledPlugin(t *testing.T) {
	bin := filepath.Join(pluginDir(t), "pledge")
	if err := os.Symlink(installedBinary(t), bin); err != nil {
		t.Fatal(err)
	}
	p, task := startHelperTask(t, bin, plugintest.Options{})

	out, err := task.Exec([]string{"/bin/echo", "checked"}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(out.GetStdout()) != "checked\n" || out.GetResult().GetExitCode() != 0 {
		t.Errorf("exec: stdout %q stderr %q result %+v", out.GetStdout(), out.GetStderr(), out.GetResult())
	}

	from := p.Events.Len()
	denied := start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/cat"
args     = ["/etc/hostname"]
promises = "stdio"`})
	if res := wait(t, denied); res.GetExitCode() == 0 {
		t.Errorf("cat without rpath succeeded: %q", denied.Stdout.String())
	}
	if _, err := p.Events.Wait(from, 5*time.Second, func(e *driverpb.DriverTaskEvent) bool {
		return e.GetTaskId() == denied.ID() && e.GetAnnotations()["syscall"] == "openat"
	}); err != nil {
		t.Errorf("no violation event for cat's openat: %v", err)
	}

	if err := p.KillAndRecover(task); err != nil {
		t.Fatal(err)
	}
	if err := task.Stop(5*time.Second, ""); err != nil {
		t.Fatal(err)
	}
	if res := wait(t, task); res.GetSignal() != int32(unix.SIGTERM) {
		t.Errorf("recovered task exit %+v, want SIGTERM", res)
	}
}

// TestE2EInstalledPluginRootless runs the installed plugin as nobody: the
// helper's memfd is executed into a user namespace.
func TestE2EInstalledPluginRootless(t *testing.T) {
	requireUnprivilegedUserNS(t)
	bin := filepath.Join(pluginDir(t), "pledge")
	copyFile(t, installedBinary(t), bin)
	_, task := startHelperTask(t, bin, plugintest.Options{
		Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}},
	})
	out, err := task.Exec([]string{"/bin/echo", "rootless"}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(out.GetStdout()) != "rootless\n" || out.GetResult().GetExitCode() != 0 {
		t.Errorf("exec: stdout %q stderr %q result %+v", out.GetStdout(), out.GetStderr(), out.GetResult())
	}
}

// installedBinary returns the absolute path of the installed plugin and
// skips when it was not built or the test cannot launch it.
func installedBinary(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("end-to-end driver tests need root")
	}
	src, err := filepath.Abs(installedPlugin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); err != nil {
		t.Skipf("%v: run `make build` first (`make test` does)", err)
	}
	return src
}

// startHelperTask launches the plugin bin, starts a sleep task (stopped at
// the end of the test) and fails unless the task's init, the plugin's only
// child, runs from the task helper's memfd.
func startHelperTask(t *testing.T, bin string, o plugintest.Options) (*plugintest.Plugin, *plugintest.Task) {
	t.Helper()
	p := plugintest.MustLaunch(t, bin, o)
	task := start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/sleep"
args     = ["60"]
promises = "stdio rpath"`})
	t.Cleanup(func() { task.Stop(time.Second, "SIGKILL") })
	inits := childrenOf(p.PID())
	if len(inits) != 1 {
		t.Fatalf("plugin children %v, want one init", inits)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", inits[0]))
	if err != nil || !strings.HasPrefix(exe, "/memfd:nomad-pledge-task") {
		t.Fatalf("init runs %q (%v), want the task helper's memfd", exe, err)
	}
	return p, task
}

// TestInstalledSelftest runs `selftest` of the installed plugin: every
// check passes with the probes run through the embedded helper's shim.
func TestInstalledSelftest(t *testing.T) {
	out, err := exec.Command(installedBinary(t), "selftest").CombinedOutput()
	if err != nil {
		t.Fatalf("selftest: %v\n%s", err, out)
	}
	for _, want := range []string{"embedded, run from a sealed memfd\n", "all checks passed\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("selftest output lacks %q:\n%s", want, out)
		}
	}
}
