package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// driverState is everything needed to re-attach to a task.
type driverState struct {
	PID int `json:"pid"`
	// StartTicks is field 22 of /proc/<pid>/stat, to detect pid reuse.
	StartTicks uint64    `json:"start_ticks"`
	ExitFile   string    `json:"exit_file"`
	StartedAt  time.Time `json:"started_at"`
}

// exitRecord is what the task process writes before it ends, so that a
// plugin that is not its parent still learns how it ended.
type exitRecord struct {
	ExitCode int `json:"exit_code"`
	Signal   int `json:"signal"`
}

// task is one running or exited task process.
type task struct {
	cfg       *driverpb.TaskConfig
	state     driverState
	recovered bool
	pidfd     int

	done        chan struct{}
	result      *driverpb.ExitResult // valid once done is closed
	completedAt time.Time
	closeOnce   sync.Once
}

func startProcess(cfg *driverpb.TaskConfig, tc taskConfig, onExit func(*driverpb.ExitResult)) (*task, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	taskDir := filepath.Join(cfg.GetAllocDir(), cfg.GetName())
	exitFile := filepath.Join(taskDir, "testplugin-exit.json")
	if err := os.Remove(exitFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	arg, err := json.Marshal(taskArgs{Config: tc, ExitFile: exitFile})
	if err != nil {
		return nil, err
	}
	stdout, err := openLog(cfg.GetStdoutPath())
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	stderr, err := openLog(cfg.GetStderrPath())
	if err != nil {
		return nil, err
	}
	defer stderr.Close()

	cmd := exec.Command(self, taskModeArg, string(arg))
	cmd.Env = envList(cfg.GetEnv())
	cmd.Dir = taskDir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Its own session: the task must not share the plugin's fate.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t, err := attach(cfg, driverState{PID: cmd.Process.Pid, ExitFile: exitFile, StartedAt: time.Now()})
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	go func() {
		_ = cmd.Wait()
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		t.finish(resultOf(exitFile, &ws), onExit)
	}()
	return t, nil
}

// openLog opens a log FIFO write-only; it blocks until the reader is there.
func openLog(path string) (*os.File, error) {
	if path == "" {
		path = os.DevNull
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("opening log %s: %w", path, err)
	}
	return f, nil
}

// attach takes a pidfd for st.PID and checks it is still the same process.
func attach(cfg *driverpb.TaskConfig, st driverState) (*task, error) {
	fd, err := unix.PidfdOpen(st.PID, 0)
	if err != nil {
		return nil, fmt.Errorf("pidfd_open(%d): %w", st.PID, err)
	}
	ticks, err := startTicks(st.PID)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	if st.StartTicks != 0 && st.StartTicks != ticks {
		unix.Close(fd)
		return nil, fmt.Errorf("pid %d now belongs to another process", st.PID)
	}
	st.StartTicks = ticks
	return &task{cfg: cfg, state: st, pidfd: fd, done: make(chan struct{})}, nil
}

func recoverProcess(cfg *driverpb.TaskConfig, st driverState, onExit func(*driverpb.ExitResult)) (*task, error) {
	t, err := attach(cfg, st)
	if err != nil {
		rec, rerr := readExit(st.ExitFile)
		if rerr != nil {
			return nil, fmt.Errorf("%w, and it left no exit record: %v", err, rerr)
		}
		t = &task{cfg: cfg, state: st, pidfd: -1, done: make(chan struct{})}
		t.recovered = true
		t.finish(&driverpb.ExitResult{ExitCode: int32(rec.ExitCode), Signal: int32(rec.Signal)}, onExit)
		return t, nil
	}
	t.recovered = true
	go func() {
		fds := []unix.PollFd{{Fd: int32(t.pidfd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); !errors.Is(err, unix.EINTR) {
				break
			}
		}
		t.finish(resultOf(st.ExitFile, nil), onExit)
	}()
	return t, nil
}

// resultOf prefers the task's own exit record; without one it uses the wait
// status ws of our child, or assumes SIGKILL for a process we could not wait
// for (ws nil).
func resultOf(exitFile string, ws *syscall.WaitStatus) *driverpb.ExitResult {
	if rec, err := readExit(exitFile); err == nil {
		return &driverpb.ExitResult{ExitCode: int32(rec.ExitCode), Signal: int32(rec.Signal)}
	}
	switch {
	case ws == nil:
	case ws.Signaled():
		return &driverpb.ExitResult{ExitCode: -1, Signal: int32(ws.Signal())}
	case ws.Exited():
		return &driverpb.ExitResult{ExitCode: int32(ws.ExitStatus())}
	}
	return &driverpb.ExitResult{ExitCode: -1, Signal: int32(unix.SIGKILL)}
}

func readExit(path string) (exitRecord, error) {
	var rec exitRecord
	b, err := os.ReadFile(path)
	if err != nil {
		return rec, err
	}
	return rec, json.Unmarshal(b, &rec)
}

func (t *task) finish(r *driverpb.ExitResult, onExit func(*driverpb.ExitResult)) {
	t.closeOnce.Do(func() {
		t.result = r
		t.completedAt = time.Now()
		close(t.done)
		onExit(r)
	})
}

func (t *task) exited() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

func (t *task) signal(name string) error {
	sig := unix.SignalNum(name)
	if sig == 0 {
		return status.Errorf(codes.InvalidArgument, "unknown signal %q; use a name such as SIGTERM", name)
	}
	if t.exited() {
		return status.Errorf(codes.FailedPrecondition, "task %q has exited", t.cfg.GetId())
	}
	if err := unix.PidfdSendSignal(t.pidfd, sig, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return status.Errorf(codes.Internal, "sending %s: %v", name, err)
	}
	return nil
}

func (t *task) kill() {
	if t.pidfd >= 0 {
		_ = unix.PidfdSendSignal(t.pidfd, unix.SIGKILL, nil, 0)
	}
}

// stop sends sig, waits up to timeout, then kills.
func (t *task) stop(sig string, timeout time.Duration) error {
	if t.exited() {
		return nil
	}
	if err := t.signal(sig); err != nil {
		return err
	}
	select {
	case <-t.done:
	case <-time.After(timeout):
		t.kill()
		<-t.done
	}
	return nil
}

func (t *task) release() {
	if t.pidfd >= 0 {
		unix.Close(t.pidfd)
		t.pidfd = -1
	}
}

func startTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// comm (field 2) may contain spaces; fields resume after its ')'.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	fields := strings.Fields(rest)
	const startTimeField = 22 - 3
	if len(fields) <= startTimeField {
		return 0, fmt.Errorf("/proc/%d/stat has %d fields", pid, len(fields)+2)
	}
	return strconv.ParseUint(fields[startTimeField], 10, 64)
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
