package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The forward role installs the forwarding handler (catchSignals) and
// checks both of its paths against real children: signals received before
// the program exists are kept and sent, lowest number first, when
// forwardTo names it; a signal received after is sent by the handler
// itself, with any other still pending, lowest number first. It exits 0
// when the children died as expected.
const roleForward = "forward"

func init() { testRoles[roleForward] = forwardRole }

func forwardRole() {
	if err := checkForwarding(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func checkForwarding() error {
	if _, err := catchSignals(); err != nil {
		return err
	}
	// Sent to this thread, each signal is handled before tgkill returns.
	for _, sig := range []unix.Signal{unix.SIGUSR2, unix.SIGUSR1} {
		if err := unix.Tgkill(unix.Getpid(), unix.Gettid(), sig); err != nil {
			return err
		}
	}
	if err := forwardToChild(func() {}, unix.SIGUSR1); err != nil {
		return fmt.Errorf("signals pending before the program: %w", err)
	}
	send := func() { unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGTERM) }
	if err := forwardToChild(send, unix.SIGTERM); err != nil {
		return fmt.Errorf("signal after the program started: %w", err)
	}
	// A bit the handler finds already set when it takes the pending ones
	// (another thread's signal in flight) goes out first.
	sendTwo := func() {
		atomic.OrUint64(&forwardPending, 1<<(unix.SIGUSR2-1))
		send()
	}
	if err := forwardToChild(sendTwo, unix.SIGUSR2); err != nil {
		return fmt.Errorf("two signals pending in the handler: %w", err)
	}
	return nil
}

// forwardToChild starts a sleeping child, forwards to it, runs send and
// checks that the child died of want.
func forwardToChild(send func(), want unix.Signal) error {
	cmd := exec.Command("/bin/sleep", "10")
	if err := cmd.Start(); err != nil {
		return err
	}
	pidfd, err := unix.PidfdOpen(cmd.Process.Pid, 0)
	if err != nil {
		cmd.Process.Kill()
		return err
	}
	forwardTo(int32(pidfd))
	send()
	err = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != want {
		return fmt.Errorf("child ended with %v, want death by %v", err, want)
	}
	return nil
}

// TestForwardSignal runs the forward role in a fresh test process, whose
// signal handlers it changes.
func TestForwardSignal(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), roleEnv+"="+roleForward)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("forward role: %v\n%s", err, out)
	}
}
