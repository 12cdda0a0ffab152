package sandbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

// The seccomp shim role: run os.Args[1:] through Exec with the promises in
// PLEDGE_TEST_PROMISES and nothing else of the policy (no unveils, fds and
// capabilities kept).
const (
	roleSeccompShim = "seccomp-shim"
	envPromises     = "PLEDGE_TEST_PROMISES"
	envKill         = "PLEDGE_TEST_KILL"
	envReport       = "PLEDGE_TEST_REPORT"
	envNotifyFD     = "PLEDGE_TEST_NOTIFY_FD"
)

func init() { testRoles[roleSeccompShim] = seccompShim }

func seccompShim() {
	err := Exec(testPolicy(), os.Args[1:], []string{"PATH=/usr/bin:/bin"})
	shimFail("Exec", err)
}

// testPolicy is the policy the environment of a shim role describes.
func testPolicy() *Policy {
	set, err := promises.Parse(os.Getenv(envPromises))
	if err != nil {
		shimFail("promises", err)
	}
	p := &Policy{Promises: set, NotifyFD: -1, SelfSupervise: true, Report: os.Getenv(envReport) != "",
		NoUnveil: true, NoNormalizeFDs: true, KeepCaps: true}
	if os.Getenv(envKill) != "" {
		p.Penalty = promises.PenaltyKill
	}
	if fd := os.Getenv(envNotifyFD); fd != "" {
		p.NotifyFD, _ = strconv.Atoi(fd)
		p.SelfSupervise = false
	}
	return p
}

func shimFail(step string, err error) {
	fmt.Fprintf(os.Stderr, "shim: %s: %v\n", step, err)
	os.Exit(127)
}

// shimRun describes one sandboxed run.
type shimRun struct {
	promises string
	kill     bool
	report   bool
	argv     []string
}

func (r shimRun) command() *exec.Cmd {
	cmd := exec.Command(os.Args[0], r.argv...)
	cmd.Env = []string{roleEnv + "=" + roleSeccompShim, envPromises + "=" + r.promises}
	if r.kill {
		cmd.Env = append(cmd.Env, envKill+"=1")
	}
	if r.report {
		cmd.Env = append(cmd.Env, envReport+"=1")
	}
	return cmd
}

// run returns stdout, stderr and the wait error.
func (r shimRun) run(t *testing.T) (string, string, error) {
	t.Helper()
	cmd := r.command()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func TestDynamicProgramsStart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		promises string
		argv     func(*testing.T) []string
		want     string
	}{
		{"true with rpath", "stdio rpath", args("/bin/true"), ""},
		{"true in the loader phase", "stdio", args("/bin/true"), ""},
		{"cat with rpath", "stdio rpath", args("/bin/cat", "/proc/self/comm"), "cat\n"},
		{"musl in the loader phase", "stdio", func(t *testing.T) []string { return []string{testProgram(t, "muslprobe"), "socket"} }, "socket=EPERM\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := shimRun{promises: tc.promises, argv: tc.argv(t)}.run(t)
			if err != nil || stdout != tc.want {
				t.Fatalf("got %v, stdout %q, want success and %q; stderr:\n%s", err, stdout, tc.want, stderr)
			}
		})
	}
}

func args(a ...string) func(*testing.T) []string { return func(*testing.T) []string { return a } }

// TestProgramKeepsOnlyItsPromises runs the C probe (dynamic, glibc): once
// main runs, the loader's extras are gone.
func TestProgramKeepsOnlyItsPromises(t *testing.T) {
	probe := testProgram(t, "probe")
	for _, tc := range []struct {
		promises string
		action   string
		want     string
	}{
		{"stdio rpath", "execve-self", "EPERM"},
		{"stdio rpath", "execve-true", "EPERM"},
		{"stdio rpath", "mprotect-exec", "EPERM"},
		{"stdio rpath", "mmap-anon-exec", "EPERM"},
		{"stdio rpath", "open", "ok"},
		{"stdio", "open", "EPERM"},
		{"stdio", "execve-true", "EPERM"},
		{"stdio rpath exec", "execve-true", "ok"},
		{"stdio rpath prot_exec", "mprotect-exec", "ok"},
	} {
		t.Run(tc.promises+"/"+tc.action, func(t *testing.T) {
			stdout, stderr, err := shimRun{promises: tc.promises, argv: []string{probe, tc.action}}.run(t)
			want := tc.action + "=" + tc.want + "\n"
			if tc.action == "execve-true" && tc.want == "ok" {
				want = "" // /bin/true replaced the probe
			}
			if err != nil || stdout != want {
				t.Fatalf("got %v, stdout %q, want %q; stderr:\n%s", err, stdout, want, stderr)
			}
		})
	}
}

func TestStaticProgramCannotExec(t *testing.T) {
	goprobe := testProgram(t, "goprobe")
	stdout, stderr, err := shimRun{promises: "stdio rpath", argv: []string{goprobe}}.run(t)
	if err != nil || stdout != "exec=EPERM\n" {
		t.Fatalf("got %v, stdout %q, want exec=EPERM; stderr:\n%s", err, stdout, stderr)
	}
}

// TestViolationsReportedOnce: each denied call number is reported once, in
// the reference's format, whether the loader routed it or the penalty did.
func TestViolationsReportedOnce(t *testing.T) {
	probe := testProgram(t, "probe")
	run := shimRun{promises: "stdio", report: true, argv: []string{probe, "open", "socket", "open", "socket"}}
	stdout, stderr, err := run.run(t)
	if err != nil || stdout != "open=EPERM\nsocket=EPERM\nopen=EPERM\nsocket=EPERM\n" {
		t.Fatalf("got %v, stdout %q; stderr:\n%s", err, stdout, stderr)
	}
	var want []string
	for _, name := range []string{"openat", "socket"} {
		nr, _ := promises.SyscallNumber(promises.AMD64, name)
		ps := promises.PromisesMentioning(promises.AMD64, nr)
		if len(ps) == 0 {
			t.Fatalf("no promise mentions %s", name)
		}
		for _, p := range ps {
			want = append(want, fmt.Sprintf("error: protected syscall %s (ord=%03x); pledge promise '%s' to allow", name, nr, p))
		}
	}
	if got := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n"); !equalStrings(got, want) {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, strings.Join(want, "\n"))
	}
	if !strings.Contains(stderr, "error: protected syscall openat (ord=101); pledge promise 'rpath' to allow\n") {
		t.Errorf("stderr lacks the rpath line for openat:\n%s", stderr)
	}
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func TestKillPenalty(t *testing.T) {
	probe := testProgram(t, "probe")
	for _, tc := range []struct {
		name string
		run  shimRun
	}{
		{"in the filter", shimRun{promises: "stdio rpath", kill: true, argv: []string{probe, "execve-true"}}},
		{"in the filter while reporting", shimRun{promises: "stdio rpath", kill: true, report: true, argv: []string{probe, "socket"}}},
		{"by the supervisor after the loader phase", shimRun{promises: "stdio", kill: true, argv: []string{probe, "open"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := tc.run.run(t)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGSYS {
				t.Fatalf("got %v, stdout %q, want death by SIGSYS; stderr:\n%s", err, stdout, stderr)
			}
		})
	}
}

// TestSupervisorDeath kills pledge, the program's supervising parent, once
// the program runs: the program keeps running and the calls the supervisor
// would have answered fail with ENOSYS, so denials stay denials.
func TestSupervisorDeath(t *testing.T) {
	probe := testProgram(t, "probe")
	for _, tc := range []struct {
		report bool
		want   string
	}{
		{false, "open=ENOSYS\nsocket=EPERM\n"},
		{true, "open=ENOSYS\nsocket=ENOSYS\n"},
	} {
		t.Run("report="+strconv.FormatBool(tc.report), func(t *testing.T) {
			cmd := shimRun{promises: "stdio", report: tc.report, argv: []string{probe, "ready", "open", "socket"}}.command()
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(out)
			if line, err := r.ReadString('\n'); line != "ready\n" {
				cmd.Wait()
				t.Fatalf("probe said %q (%v), want ready; stderr:\n%s", line, err, stderr.String())
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			stdin.Write([]byte{'\n'})
			rest, _ := io.ReadAll(r)
			err = cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL || string(rest) != tc.want {
				t.Fatalf("got %v, stdout %q, want pledge killed and %q; stderr:\n%s", err, rest, tc.want, stderr.String())
			}
		})
	}
}

// TestServeInProcess is the Nomad driver's arrangement: the shim hands the
// listener over an inherited socket to Serve running in this process, which
// learns the filter and the task's pid from the hand-off itself.
func TestServeInProcess(t *testing.T) {
	probe := testProgram(t, "probe")
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours, theirs := os.NewFile(uintptr(pair[0]), "supervisor"), os.NewFile(uintptr(pair[1]), "shim")
	defer ours.Close()
	var mu sync.Mutex
	var got []supervisor.Violation
	done := make(chan error, 1)
	go func() {
		done <- supervisor.Serve(t.Context(), ours, supervisor.Config{Report: func(v supervisor.Violation) {
			mu.Lock()
			got = append(got, v)
			mu.Unlock()
		}})
	}()
	cmd := shimRun{promises: "stdio", report: true, argv: []string{probe, "open", "socket", "open"}}.command()
	cmd.Env = append(cmd.Env, envNotifyFD+"=3")
	cmd.ExtraFiles = []*os.File{theirs}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	theirs.Close()
	if err != nil || stdout.String() != "open=EPERM\nsocket=EPERM\nopen=EPERM\n" {
		t.Fatalf("got %v, stdout %q; stderr:\n%s", err, stdout.String(), stderr.String())
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v, want nil once the task is gone", err)
	}
	mu.Lock()
	defer mu.Unlock()
	var names []string
	for _, v := range got {
		names = append(names, v.Syscall)
		if v.PID != cmd.Process.Pid {
			t.Errorf("violation %+v: pid %d, want the task's %d", v, v.PID, cmd.Process.Pid)
		}
	}
	if strings.Join(names, " ") != "openat socket" {
		t.Errorf("reported %q, want openat then socket, once each", names)
	}
}

// Test programs are built once per test binary into testdataDir.
var (
	testdataDir  string
	testdataOnce sync.Mutex
	built        = map[string]string{}
)

// testProgram builds (once) and returns the path of a test program:
// "probe" (C, glibc, dynamic), "muslprobe" (the same with musl) or
// "goprobe" (static Go).
func testProgram(t *testing.T, name string) string {
	t.Helper()
	testdataOnce.Lock()
	defer testdataOnce.Unlock()
	if p, ok := built[name]; ok {
		return p
	}
	if testdataDir == "" {
		dir, err := os.MkdirTemp("", "sandbox-test-")
		if err != nil {
			t.Fatal(err)
		}
		testdataDir = dir
	}
	out := filepath.Join(testdataDir, name)
	var cmd *exec.Cmd
	switch name {
	case "probe":
		cmd = exec.Command("cc", "-O2", "-o", out, "testdata/probe.c")
	case "muslprobe":
		if _, err := exec.LookPath("musl-gcc"); err != nil {
			t.Skip("musl-gcc not installed")
		}
		cmd = exec.Command("musl-gcc", "-O2", "-o", out, "testdata/probe.c")
	case "goprobe":
		cmd = exec.Command("go", "build", "-o", out, "./testdata/goprobe")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	default:
		t.Fatalf("unknown test program %q", name)
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, msg)
	}
	built[name] = out
	return out
}

func cleanupTestdata() {
	if testdataDir != "" {
		os.RemoveAll(testdataDir)
	}
}
