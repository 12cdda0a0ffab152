package nsexec

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"golang.org/x/sys/unix"
)

// InitMain is the entry of `<self> __init` ([InitArg]), started by [Start];
// the binary's main calls it when argv[1] is InitArg. It sets up the task's
// namespaces, starts the shim, forwards signals to it, reaps orphans, records
// the task's exit status and exits with the task's code (128+signal when a
// signal killed it). It never returns.
func InitMain() {
	os.Exit(runInit())
}

func runInit() int {
	// Inherited fds must never reach the shim unless listed for it: above
	// all the status directory, through which the task could forge its
	// exit status.
	if err := unix.CloseRange(controlFD, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		fmt.Fprintf(os.Stderr, "nsexec init: close_range: %v\n", err)
		return 1
	}
	// Handlers for every signal before the shim exists, so none sent right
	// after Start returns is lost; SIGCHLD is init's own.
	signals := make(chan os.Signal, 64)
	signal.Notify(signals)
	spec, err := readSpec()
	if err != nil {
		fmt.Fprintf(os.Stderr, "nsexec init: %v\n", err)
		return 1
	}
	task, err := launch(spec)
	if err := sendFrame(controlFD, errorText(err)); err != nil {
		fmt.Fprintf(os.Stderr, "nsexec init: report setup result: %v\n", err)
	}
	if err != nil {
		return 1
	}
	if spec.Hold {
		holdHandedOver()
	} else {
		unix.Close(controlFD)
	}
	debug.FreeOSMemory()
	status := superviseTask(task, signals)
	if err := writeStatus(statusDirFD, spec.StatusName, status); err != nil {
		fmt.Fprintf(os.Stderr, "nsexec init: record %v: %v\n", status, err)
	}
	return status.Code
}

func readSpec() (*initSpec, error) {
	msg, err := recvFrame(controlFD)
	if err != nil {
		return nil, fmt.Errorf("read spec from fd %d (started by nsexec.Start?): %w", controlFD, err)
	}
	var spec initSpec
	if err := json.Unmarshal(msg, &spec); err != nil {
		return nil, fmt.Errorf("decode spec: %w", err)
	}
	return &spec, nil
}

func errorText(err error) []byte {
	if err == nil {
		return nil
	}
	return []byte(err.Error())
}

// launch prepares the namespaces, starts the shim and confines init.
func launch(spec *initSpec) (int, error) {
	if err := setup(spec); err != nil {
		return 0, err
	}
	if spec.ConfineFirst {
		if err := confine(); err != nil {
			return 0, fmt.Errorf("confine init: %w", err)
		}
	}
	files := []uintptr{0, 1, 2}
	for i := range spec.ExtraFiles {
		files = append(files, uintptr(firstShimFD+i))
	}
	task, err := syscall.ForkExec(SelfExe, spec.Argv, &syscall.ProcAttr{Env: spec.Env, Files: files})
	if err != nil {
		return 0, fmt.Errorf("start shim %q: %w", spec.Argv, err)
	}
	for i := range spec.ExtraFiles {
		unix.Close(firstShimFD + i)
	}
	if spec.ConfineFirst {
		return task, nil
	}
	if err := confine(); err != nil {
		unix.Kill(task, unix.SIGKILL)
		return 0, fmt.Errorf("confine init: %w", err)
	}
	return task, nil
}

// setup configures the namespaces init was cloned into.
func setup(spec *initSpec) error {
	if spec.Subreaper {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("become child subreaper: %w", err)
		}
	}
	if spec.PrivateMount {
		// Slave, not private: mounts the host adds later (volumes) still
		// appear, but nothing mounted here propagates to the host.
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
			return fmt.Errorf("make mounts slave of the host's: %w", err)
		}
	}
	if spec.MountProc {
		if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("mount /proc for the pid namespace: %w", err)
		}
	}
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("set hostname %q: %w", spec.Hostname, err)
		}
	}
	return nil
}

// superviseTask forwards every signal but SIGCHLD to the task and reaps
// every child (the task, and orphans re-parented to init) until the task
// has ended.
func superviseTask(task int, signals <-chan os.Signal) ExitStatus {
	for sig := range signals {
		s, _ := sig.(syscall.Signal)
		if s != syscall.SIGCHLD {
			// ESRCH only while the task is a zombie: init is about to
			// reap it.
			unix.Kill(task, s)
			continue
		}
		if status, ended := reapChildren(task); ended {
			return status
		}
	}
	panic("unreachable: signal channel closed")
}

// reapChildren collects every ended child and reports whether task was one.
func reapChildren(task int) (ExitStatus, bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return ExitStatus{}, false
		}
		if pid == task {
			return exitStatusOf(ws), true
		}
	}
}
