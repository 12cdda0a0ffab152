package nsexec

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// task is a started test task with its stdout.
type task struct {
	*Process
	out        *bufio.Reader
	statusPath string
}

// startTask starts the test shim in role under c and cleans up after t.
func startTask(t *testing.T, c Config, role ...string) *task {
	t.Helper()
	requireRoot(t)
	return launchTask(t, c, role...)
}

// launchTask is startTask without the check for root.
func launchTask(t *testing.T, c Config, role ...string) *task {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Shim.Args = append([]string{shimArg}, role...)
	c.Shim.Stdout, c.Shim.Stderr = w, os.Stderr
	if c.StatusPath == "" {
		c.StatusPath = filepath.Join(t.TempDir(), "status")
	}
	p, err := Start(&c)
	w.Close()
	if err != nil {
		r.Close()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		p.Kill()
		p.Wait(context.Background())
		p.Close()
		r.Close()
	})
	return &task{p, bufio.NewReader(r), c.StatusPath}
}

// line returns the task's next line of output, "" at EOF.
func (tk *task) line(t *testing.T) string {
	t.Helper()
	s, _ := tk.out.ReadString('\n')
	return strings.TrimSuffix(s, "\n")
}

// report collects a "report" shim's key=value lines.
func (tk *task) report(t *testing.T) map[string]string {
	t.Helper()
	kv := map[string]string{}
	for line := tk.line(t); line != ""; line = tk.line(t) {
		k, v, _ := strings.Cut(line, "=")
		kv[k] = v
	}
	return kv
}

func (tk *task) wait(t *testing.T) (ExitStatus, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return tk.Wait(ctx)
}

func TestPrivateNamespaces(t *testing.T) {
	spec, specW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	specW.WriteString("the spec")
	specW.Close()
	tk := startTask(t, Config{Hostname: "task-host", Shim: Shim{ExtraFiles: []*os.File{spec}}}, "report")
	spec.Close()
	got := tk.report(t)
	host, _ := os.Hostname()
	for key, want := range map[string]string{
		"hostname": "task-host",
		"proc":     "1," + got["pid"],
		"init":     InitName + " " + InitArg + " ",
		"initName": InitName,
		"fd3":      "the spec",
	} {
		if got[key] != want {
			t.Errorf("task sees %s=%q, want %q", key, got[key], want)
		}
	}
	// The runtime opens cgroup files; nothing of init's may be inherited.
	if dir := filepath.Dir(tk.statusPath); strings.Contains(got["fds"], dir) || strings.Contains(got["fds"], "socket:") {
		t.Errorf("task inherited init's status directory %s or control socket: %s", dir, got["fds"])
	}
	// Init's threads take the pids right after 1.
	if pid, err := strconv.Atoi(got["pid"]); err != nil || pid > 16 {
		t.Errorf("task has pid %q, want one just above init's threads", got["pid"])
	}
	for _, ns := range []string{"pid", "ipc", "uts", "mnt"} {
		if self, _ := os.Readlink("/proc/self/ns/" + ns); got[ns+"ns"] == self || got[ns+"ns"] == "" {
			t.Errorf("task's %s namespace %q is not a new one (driver's is %q)", ns, got[ns+"ns"], self)
		}
	}
	if now, _ := os.Hostname(); now != host {
		t.Errorf("host's hostname changed from %q to %q", host, now)
	}
	if st, err := tk.wait(t); err != nil || st != (ExitStatus{}) {
		t.Errorf("Wait = %v, %v; want exit code 0", st, err)
	}
}

func TestHostNamespaces(t *testing.T) {
	tk := startTask(t, Config{HostPID: true, HostIPC: true, HostUTS: true}, "report")
	got := tk.report(t)
	for _, ns := range []string{"pid", "ipc", "uts"} {
		if self, _ := os.Readlink("/proc/self/ns/" + ns); got[ns+"ns"] != self {
			t.Errorf("task's %s namespace is %q, want the driver's %q", ns, got[ns+"ns"], self)
		}
	}
	if got["pid"] == "2" || got["pid"] == "" {
		t.Errorf("task has pid %q in the host pid namespace", got["pid"])
	}
	if st, err := tk.wait(t); err != nil || st != (ExitStatus{}) {
		t.Errorf("Wait = %v, %v; want exit code 0", st, err)
	}
}

func TestExitStatusRecorded(t *testing.T) {
	for _, tc := range []struct {
		role []string
		want ExitStatus
		file string
	}{
		{[]string{"exit", "0"}, ExitStatus{}, "exited 0\n"},
		{[]string{"exit", "7"}, ExitStatus{Code: 7}, "exited 7\n"},
		{[]string{"signal-self", "9"}, ExitStatus{Code: 137, Signal: syscall.SIGKILL}, "signaled 9\n"},
		{[]string{"signal-self", "15"}, ExitStatus{Code: 143, Signal: syscall.SIGTERM}, "signaled 15\n"},
	} {
		t.Run(strings.Join(tc.role, " "), func(t *testing.T) {
			tk := startTask(t, Config{}, tc.role...)
			if st, err := tk.wait(t); err != nil || st != tc.want {
				t.Errorf("Wait = %v, %v; want %v", st, err, tc.want)
			}
			if b, err := os.ReadFile(tk.statusPath); string(b) != tc.file {
				t.Errorf("status file holds %q (%v), want %q", b, err, tc.file)
			}
		})
	}
}

// TestShimStartsWithDefaultSignals: signals the driver ignores (a nohup'd
// agent ignores SIGHUP; 32 and 34, which the Go runtime leaves alone, are
// ignored with raw rt_sigaction) are not ignored in the task, although init
// enables most of its handlers only after starting the shim.
func TestShimStartsWithDefaultSignals(t *testing.T) {
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT)
	t.Cleanup(func() { signal.Reset(syscall.SIGHUP, syscall.SIGINT) })
	for _, sig := range unmanagedSignals {
		rawSetAction(t, sig, kernelSigaction{handler: rawSigIGN})
		t.Cleanup(func() { rawSetAction(t, sig, kernelSigaction{}) })
	}
	tk := startTask(t, Config{}, "sigign")
	mask, err := strconv.ParseUint(tk.line(t), 16, 64)
	if err != nil {
		t.Fatalf("SigIgn of the shim: %v", err)
	}
	if mask != 0 {
		t.Errorf("the shim started with signals ignored: SigIgn %016x, want none", mask)
	}
	if st, err := tk.wait(t); err != nil || st != (ExitStatus{}) {
		t.Errorf("Wait = %v, %v; want exit code 0", st, err)
	}
}

// rawSetAction sets the action of a signal the Go runtime does not manage.
func rawSetAction(t *testing.T, sig unix.Signal, act kernelSigaction) {
	t.Helper()
	if _, _, e := syscall.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0); e != 0 {
		t.Fatalf("rt_sigaction(%d): %v", sig, e)
	}
}

func TestSIGTERMKillsTaskWithoutHandler(t *testing.T) {
	tk := startTask(t, Config{}, "wait")
	if got := tk.line(t); got != "ready" {
		t.Fatalf("task said %q", got)
	}
	if err := tk.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	want := ExitStatus{Code: 143, Signal: syscall.SIGTERM}
	if st, err := tk.wait(t); err != nil || st != want {
		t.Errorf("Wait = %v, %v; want %v", st, err, want)
	}
}

func TestTaskIgnoringSIGTERMDiesWithInit(t *testing.T) {
	tk := startTask(t, Config{}, "stubborn")
	if got := tk.line(t); got != "ready" {
		t.Fatalf("task said %q", got)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGUSR1} {
		if err := tk.Signal(sig); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSpace(strings.Join([]string{map[bool]string{true: "true", false: "false"}[sig == syscall.SIGTERM], sig.String()}, " "))
		if got := tk.line(t); got != want {
			t.Fatalf("after %v the task said %q, want %q", sig, got, want)
		}
	}
	if err := tk.Kill(); err != nil {
		t.Fatal(err)
	}
	st, err := tk.wait(t)
	if !errors.Is(err, ErrStatusMissing) || st.Signal != syscall.SIGKILL {
		t.Errorf("Wait after Kill = %v, %v; want init's SIGKILL and ErrStatusMissing", st, err)
	}
	if rest := tk.line(t); rest != "" {
		t.Errorf("task still wrote %q after init was killed", rest)
	}
}

func TestOrphansReaped(t *testing.T) {
	for name, c := range map[string]Config{"pid1": {}, "subreaper": {HostPID: true}} {
		t.Run(name, func(t *testing.T) {
			tk := startTask(t, c, "orphans")
			if got := tk.line(t); got != "reaped" {
				t.Errorf("task said %q, want reaped", got)
			}
			if st, err := tk.wait(t); err != nil || st != (ExitStatus{}) {
				t.Errorf("Wait = %v, %v; want exit code 0", st, err)
			}
		})
	}
}
