package plugintest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCredential launches the test plugin as uid and gid 65534: every
// launch runs as that user, and a task it starts writes to log FIFOs and
// reads an allocation directory that the harness gave to that user.
func TestCredential(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("launching a plugin as another user needs root")
	}
	const nobody = 65534
	journalDir, err := os.MkdirTemp("", "plugintest-journal")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(journalDir) })
	if err := os.Chown(journalDir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	bin := Build(t, "./internal/testplugin", "testplugin")
	j := &journal{path: filepath.Join(journalDir, "journal")}
	p := MustLaunch(t, bin, Options{
		Env:        []string{"TESTPLUGIN_JOURNAL=" + j.path},
		Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}},
	})
	status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.PID()), "status"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "\nUid:\t65534\t65534\t65534\t65534\n") {
		t.Errorf("runtime plugin process does not run as uid 65534:\n%s", status)
	}
	if got := len(j.byProcess(t)); got != 3 {
		t.Errorf("journal written by %d plugin processes, want the 3 launches", got)
	}
	task := p.NewTask(TaskOptions{Config: `stdout = "as nobody\n"`})
	if err := task.Start(); err != nil {
		t.Fatal(err)
	}
	if res, err := task.Wait(10 * time.Second); err != nil || res.GetExitCode() != 0 {
		t.Fatalf("Wait: %v %v, want exit code 0", res, err)
	}
	if err := task.Stdout.Wait("as nobody\n", 5*time.Second); err != nil {
		t.Error(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(task.AllocDir, &st); err != nil || st.Uid != nobody {
		t.Errorf("allocation directory owned by uid %d (%v), want 65534", st.Uid, err)
	}
}
