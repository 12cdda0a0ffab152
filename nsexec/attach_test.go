package nsexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestAttachAfterDriverExit starts a task from a separate "driver" process
// that exits at once, then recovers the task as a restarted driver would.
func TestAttachAfterDriverExit(t *testing.T) {
	requireRoot(t)
	statusPath := filepath.Join(t.TempDir(), "status")
	cmd := exec.Command(SelfExe)
	cmd.Env = append(os.Environ(), envDriver+"="+statusPath)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("driver process: %v", err)
	}
	var pid int
	var start uint64
	if _, err := fmt.Sscan(string(out), &pid, &start); err != nil {
		t.Fatalf("driver printed %q: %v", out, err)
	}

	if _, err := Attach(pid, start+1, statusPath); !errors.Is(err, ErrGone) {
		t.Errorf("Attach with a wrong start time = %v, want ErrGone", err)
	}
	p, err := Attach(pid, start, statusPath)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	defer p.Close()
	if err := p.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if st, err := p.Wait(ctx); err != nil || st != (ExitStatus{Code: 5}) {
		t.Errorf("Wait on the reattached init = %v, %v; want exit code 5", st, err)
	}
	// Until the host's init reaps the zombie, attaching still succeeds and
	// Wait returns at once.
	if again, err := Attach(pid, start, statusPath); err == nil {
		st, err := again.Wait(ctx)
		again.Close()
		if err != nil || st.Code != 5 {
			t.Errorf("Wait on init attached after its end = %v, %v; want exit code 5", st, err)
		}
	} else if !errors.Is(err, ErrGone) {
		t.Errorf("Attach after the task ended = %v, want ErrGone or success", err)
	}
	if st, err := ReadStatus(statusPath); err != nil || st.Code != 5 {
		t.Errorf("ReadStatus = %v, %v; want exit code 5", st, err)
	}
}

func TestWaitCancelled(t *testing.T) {
	tk := startTask(t, Config{}, "wait")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tk.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestSignalAfterExit(t *testing.T) {
	tk := startTask(t, Config{}, "exit", "0")
	if _, err := tk.wait(t); err != nil {
		t.Fatal(err)
	}
	if err := tk.Signal(syscall.SIGTERM); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("Signal after the task ended = %v, want os.ErrProcessDone", err)
	}
}
