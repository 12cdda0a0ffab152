package driver_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
)

// parentStatusArg makes the test binary, run as a task, print its
// parent's /proc status as its very first action: the parent is the
// task's init (PID 1 of a private pid namespace, or a subreaper in the
// host's), which the shim exec'd the task from.
const parentStatusArg = "print-parent-status"

// printParentStatus is the task of TestE2ETaskStartsAfterInitConfined.
func printParentStatus() int {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", os.Getppid()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Stdout.Write(status)
	return 0
}

// initConfinedRuns is how many tasks of each pid mode check their init:
// while the driver sent the shim its spec before init had confined itself,
// most of them saw init with all its capabilities.
const initConfinedRuns = 5

// TestE2ETaskStartsAfterInitConfined checks that the task program never
// runs while its init still holds more than CAP_KILL: init must have
// confined itself before the task's first instruction.
func TestE2ETaskStartsAfterInitConfined(t *testing.T) {
	p, bin := launch(t, "")
	for _, mode := range []string{"private", "host"} {
		t.Run(mode, func(t *testing.T) {
			for range initConfinedRuns {
				task := start(t, p, plugintest.TaskOptions{Config: `
command  = "` + bin + `"
args     = ["` + parentStatusArg + `"]
pid_mode = "` + mode + `"
promises = "stdio rpath"
unveil   = ["r:/proc"]`})
				if res := wait(t, task); res.GetExitCode() != 0 {
					t.Fatalf("exit %+v, stderr %q", res, task.Stderr.String())
				}
				if !wantConfinedInit(t, task.Stdout.String()) {
					return
				}
			}
		})
	}
}

// wantConfinedInit checks init's /proc status as its task saw it and
// reports whether it was confined.
func wantConfinedInit(t *testing.T, status string) bool {
	t.Helper()
	ok := true
	for key, want := range map[string]string{
		"CapEff":     "0000000000000020", // CAP_KILL only
		"CapPrm":     "0000000000000020",
		"CapInh":     "0000000000000000",
		"CapAmb":     "0000000000000000",
		"NoNewPrivs": "1",
	} {
		if got := statusField(status, key); got != want {
			t.Errorf("the task saw its init with %s = %q, want %q", key, got, want)
			ok = false
		}
	}
	return ok
}
