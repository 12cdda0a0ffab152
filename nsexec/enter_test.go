package nsexec

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestEnter(t *testing.T) {
	tk := startTask(t, Config{Hostname: "enter-host", NetNSPath: newNetNS(t)}, "stubborn")
	if got := tk.line(t); got != "ready" {
		t.Fatalf("task said %q", got)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd, err := tk.Enter(&ExecConfig{Shim: Shim{Args: []string{shimArg, "report"}, Stdout: w, Stderr: os.Stderr}})
	w.Close()
	if err != nil {
		t.Fatalf("Enter: %v", err)
	}
	defer cmd.Close()
	entered := (&task{Process: cmd, out: bufio.NewReader(r)})
	got := entered.report(t)
	want := map[string]string{
		"hostname":       "enter-host",
		"init":           InitName + " " + InitArg + " ",
		"initCapEff":     "0000000000000020", // CAP_KILL only
		"initCapPrm":     "0000000000000020",
		"initCapInh":     "0000000000000000",
		"initCapAmb":     "0000000000000000",
		"initNoNewPrivs": "1",
	}
	for _, ns := range []string{"pid", "net", "ipc", "uts", "mnt"} {
		want[ns+"ns"], _ = os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", tk.Pid, ns))
	}
	for key, w := range want {
		if got[key] != w {
			t.Errorf("entered command sees %s=%q, want %q", key, got[key], w)
		}
	}
	if !strings.HasPrefix(got["proc"], "1,") || !strings.Contains(got["proc"], ","+got["pid"]) {
		t.Errorf("entered command with pid %s sees /proc %q, want the task's pid namespace", got["pid"], got["proc"])
	}
	if st, err := entered.wait(t); err != nil || st != (ExitStatus{}) {
		t.Errorf("Wait on the entered command = %v, %v; want exit code 0", st, err)
	}
}
