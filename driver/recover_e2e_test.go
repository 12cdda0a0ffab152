package driver_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// TestE2ESignalRightAfterStart: StartTask returns once the shim has exec'd
// the command, so a signal sent at once meets the command (sleep, which
// dies of SIGUSR1) instead of the Go shim, which ignores SIGUSR1. Several
// tasks make an early return all but certain to show.
func TestE2ESignalRightAfterStart(t *testing.T) {
	p, _ := launch(t, "")
	for range 5 {
		task := start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/sleep"
args     = ["60"]
promises = "stdio rpath"`})
		if err := task.Signal("SIGUSR1"); err != nil {
			t.Fatal(err)
		}
		res, err := task.Wait(10 * time.Second)
		if err != nil {
			t.Fatalf("wait: %v: the signal sent right after StartTask did not reach sleep", err)
		}
		if res.GetSignal() != int32(unix.SIGUSR1) {
			t.Fatalf("exit %+v, want killed by SIGUSR1", res)
		}
	}
}

// TestE2ERecoveredTaskStaysSupervised: after the plugin is SIGKILLed and
// recovers the task (twice: init still holds the listener after a
// plugin fetched it), a denied syscall still fails with EPERM (not the
// ENOSYS of a listener nobody serves) and yields one violation event: the
// task's init kept the listener and the new plugin serves it.
func TestE2ERecoveredTaskStaysSupervised(t *testing.T) {
	p, bin := launch(t, "")
	task := start(t, p, plugintest.TaskOptions{Config: `
command  = "` + bin + `"
args     = ["__probe", "usr1-socket"]
promises = "stdio"`})
	if err := task.Stdout.Wait("ready", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := p.KillAndRecover(task); err != nil {
			t.Fatal(err)
		}
	}
	if n := wantRecoveredViolation(t, p, task); n != 1 {
		t.Errorf("%d violation events after recovery, want 1", n)
	}
	recovered := func(e *driverpb.DriverTaskEvent) bool {
		return e.GetTaskId() == task.ID() && strings.Contains(e.GetMessage(), "reporting resumed")
	}
	if _, err := p.Events.Wait(0, 0, recovered); err != nil {
		t.Errorf("no recovery event saying reporting resumed: %v", err)
	}
}

// wantRecoveredViolation sends SIGUSR1 to a recovered usr1-socket probe
// task and requires its denied socket call to fail with EPERM from the
// recovered supervisor (not the ENOSYS of a listener nobody serves) and to
// yield a violation event. It returns the number of violation events since
// the signal.
func wantRecoveredViolation(t *testing.T, p *plugintest.Plugin, task *plugintest.Task) int {
	t.Helper()
	from := p.Events.Len()
	if err := task.Signal("SIGUSR1"); err != nil {
		t.Fatal(err)
	}
	if res := wait(t, task); res.GetExitCode() != int32(unix.EPERM) {
		t.Fatalf("exit %+v, want EPERM (%d) from the recovered supervisor; ENOSYS is %d; plugin log:\n%s", res, unix.EPERM, unix.ENOSYS, p.Log())
	}
	isViolation := func(e *driverpb.DriverTaskEvent) bool {
		return e.GetTaskId() == task.ID() && e.GetAnnotations()["syscall"] == "socket"
	}
	if _, err := p.Events.Wait(from, 5*time.Second, isViolation); err != nil {
		t.Fatalf("no violation event after recovery: %v", err)
	}
	n := 0
	for _, e := range p.Events.All()[from:] {
		if isViolation(e) {
			n++
		}
	}
	return n
}

// TestE2ERecoverTwentyTasks: 20 running tasks survive a SIGKILL of the
// plugin, are recovered by its successor and stop cleanly.
func TestE2ERecoverTwentyTasks(t *testing.T) {
	const n = 20
	p, _ := launch(t, "")
	tasks := make([]*plugintest.Task, n)
	for i := range tasks {
		tasks[i] = start(t, p, plugintest.TaskOptions{Config: `
command  = "/bin/sleep"
args     = ["600"]
promises = "stdio rpath"`})
	}
	if err := p.KillAndRecover(tasks...); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, task := range tasks {
		wg.Go(func() { stopRecovered(t, task) })
	}
	wg.Wait()
}

// stopRecovered checks that a recovered task runs, stops it with SIGTERM
// and destroys it.
func stopRecovered(t *testing.T, task *plugintest.Task) {
	insp, err := task.Inspect()
	if err != nil {
		t.Error(err)
		return
	}
	if st := insp.GetTask().GetState(); st != driverpb.TaskState_RUNNING {
		t.Errorf("task %s recovered in state %v, want running", task.ID(), st)
		return
	}
	if err := task.Stop(10*time.Second, ""); err != nil {
		t.Errorf("stop %s: %v", task.ID(), err)
		return
	}
	res, err := task.Wait(30 * time.Second)
	if err != nil || res.GetSignal() != int32(unix.SIGTERM) {
		t.Errorf("task %s ended with %+v, %v; want killed by SIGTERM", task.ID(), res, err)
	}
	if err := task.Destroy(true); err != nil {
		t.Errorf("destroy %s: %v", task.ID(), err)
	}
}
