package nsexec

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// InitMain is the entry of `<self> __init` ([InitArg]), started by [Start];
// the binary's main calls it when argv[1] is InitArg. It sets up the task's
// namespaces, starts the shim, forwards signals to it, reaps orphans, records
// the task's exit status and exits with the task's code (128+signal when a
// signal killed it). It never returns.
func InitMain() {
	setProcessName(InitName)
	// A package init elsewhere in the binary may have locked the main
	// goroutine to the main thread (the sandbox shim's does). Init needs no
	// particular thread, and a locked main goroutine turns every hand-off
	// to another goroutine into OS thread switches: os/signal enables each
	// signal through such a hand-off.
	runtime.UnlockOSThread()
	// Init never reports a memory profile; sampling only adds to its heap.
	runtime.MemProfileRate = 0
	os.Exit(runInit())
}

// setProcessName names the process (its main thread's comm), when called
// on the main thread, as InitMain is before it unlocks it; elsewhere it
// would name another thread and does nothing. Failing changes nothing else.
func setProcessName(name string) {
	if unix.Gettid() != unix.Getpid() {
		return
	}
	if p, err := unix.BytePtrFromString(name); err == nil {
		_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(p)), 0, 0, 0)
	}
}

func runInit() int {
	// Inherited fds must never reach the shim unless listed for it: above
	// all the status directory, through which the task could forge its
	// exit status.
	if err := unix.CloseRange(controlFD, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		fmt.Fprintf(os.Stderr, "nsexec init: close_range: %v\n", err)
		return 1
	}
	signals := make(chan os.Signal, 64)
	catchIgnored(signals)
	if err := defaultUnmanagedSignals(); err != nil {
		fmt.Fprintf(os.Stderr, "nsexec init: %v\n", err)
		return 1
	}
	spec, err := readSpec()
	if err != nil {
		fmt.Fprintf(os.Stderr, "nsexec init: %v\n", err)
		return 1
	}
	task, err := launch(spec)
	if err == nil {
		// Handlers for every signal before the setup result, so none
		// sent after Start returns is lost; SIGCHLD is init's own.
		// Enabling them one by one costs milliseconds, spent while the
		// shim starts.
		signal.Notify(signals)
	}
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

// catchIgnored catches the signals init inherited ignored before the shim
// starts: the exec gives a caught signal its default disposition but keeps
// an ignored one ignored, and the task must not inherit what happened to
// be ignored in the agent (a nohup'd agent ignores SIGHUP). The Go runtime
// leaves SIGHUP and SIGINT ignored when inherited so, and 32 and 34, which
// os/signal cannot catch (see defaultUnmanagedSignals); it handles every
// other signal itself from the start, so that the exec resets them.
func catchIgnored(signals chan<- os.Signal) {
	for _, s := range []os.Signal{syscall.SIGHUP, syscall.SIGINT} {
		if signal.Ignored(s) {
			signal.Notify(signals, s)
		}
	}
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
//
// Init confines itself after starting the shim, which needs init's
// capabilities to sandbox the task (it changes identity, drops the rest
// itself), so for a moment the shim runs beside an init that still holds
// them: [Start] returns only once init is confined, and its caller gates
// the task program on what it sends the shim afterwards. In a user
// namespace (initSpec.ConfineFirst) the shim needs none of init's
// capabilities, so init confines first.
func launch(spec *initSpec) (int, error) {
	if err := setup(spec); err != nil {
		return 0, err
	}
	if spec.ConfineFirst {
		return startConfined(spec)
	}
	task, err := startShim(spec, nil)
	if err != nil {
		return 0, err
	}
	if err := confine(); err != nil {
		unix.Kill(task, unix.SIGKILL)
		return 0, fmt.Errorf("confine init: %w", err)
	}
	return task, nil
}

// startConfined confines init and then starts the shim from a throw-away
// thread whose bounding set it emptied first (while CAP_SETPCAP was still
// effective), so the shim starts without any capability and cannot gain
// one. Init's other threads keep their bounding set, which bounds nothing:
// init never execs again.
func startConfined(spec *initSpec) (int, error) {
	return startShim(spec, func() error {
		if err := dropBoundingSet(); err != nil {
			return fmt.Errorf("confine init: %w", err)
		}
		if err := confine(); err != nil {
			return fmt.Errorf("confine init: %w", err)
		}
		return nil
	})
}

// startShim fork-execs the shim with the files the driver listed for it,
// from a throw-away thread on which prepare ran first when it is not nil.
func startShim(spec *initSpec, prepare func() error) (int, error) {
	files := []uintptr{0, 1, 2}
	for i := range spec.ExtraFiles {
		files = append(files, uintptr(firstShimFD+i))
	}
	task, err := forkOnThread(prepare, SelfExe, spec.Argv, &syscall.ProcAttr{Env: spec.Env, Files: files})
	if err != nil {
		return 0, fmt.Errorf("start shim %q: %w", spec.Argv, err)
	}
	for i := range spec.ExtraFiles {
		unix.Close(firstShimFD + i)
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
	// A shim that ended before SIGCHLD was caught sent none.
	if status, ended := reapChildren(task); ended {
		return status
	}
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
