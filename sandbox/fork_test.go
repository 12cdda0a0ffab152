package sandbox

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

// The busy shim role is the seccomp shim with the garbage collector and
// allocating goroutines running while it starts the program, so that a
// vfork landing in any runtime state is exercised: the child shares the
// memory they change and runs on the starting goroutine's stack.
const roleBusyShim = "busy-shim"

func init() { testRoles[roleBusyShim] = busyShim }

func busyShim() {
	for range 4 {
		go func() {
			var keep [][]byte
			for i := 0; ; i++ {
				keep = append(keep, make([]byte, 1<<10))
				if len(keep) > 512 {
					keep = nil
				}
				if i%64 == 0 {
					runtime.GC()
				}
			}
		}()
	}
	time.Sleep(time.Millisecond)
	seccompShim()
}

// TestForkUnderLoad starts the program 200 times from a parent whose
// runtime is busy. A child that ran Go code, or a parent whose frame the
// child clobbered, would crash or hang at random; each run must report its
// violation once and get EPERM.
func TestForkUnderLoad(t *testing.T) {
	probe := testProgram(t, "probe")
	n := 200
	if testing.Short() {
		n = 20
	}
	want := "error: protected syscall socket (ord=029); pledge promise 'inet' to allow\n"
	for i := range n {
		run := shimRun{promises: "stdio", report: true, argv: []string{probe, "socket"}}
		cmd := run.command()
		cmd.Env = append(cmd.Env, roleEnv+"="+roleBusyShim)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil || stdout.String() != "socket=EPERM\n" || !strings.HasPrefix(stderr.String(), want) {
			t.Fatalf("run %d: %v, stdout %q, stderr %q; want socket=EPERM reported", i, err, stdout.String(), stderr.String())
		}
	}
}

// TestExitMirrored: pledge ends the way its program does, by exit status or
// by signal (SIGSYS from the kill penalty: status 159 in a shell).
func TestExitMirrored(t *testing.T) {
	probe := testProgram(t, "probe")
	for _, tc := range []struct {
		name   string
		run    shimRun
		code   int
		signal syscall.Signal
	}{
		{"exit 0", shimRun{promises: "stdio rpath", report: true, argv: []string{"/bin/true"}}, 0, 0},
		{"exit 1", shimRun{promises: "stdio rpath", report: true, argv: []string{"/bin/false"}}, 1, 0},
		{"SIGSYS", shimRun{promises: "stdio rpath", report: true, kill: true, argv: []string{probe, "socket"}}, -1, syscall.SIGSYS},
		{"loader phase, SIGSYS", shimRun{promises: "stdio", kill: true, argv: []string{probe, "open"}}, -1, syscall.SIGSYS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := tc.run.run(t)
			ws := waitStatus(err)
			if tc.signal != 0 {
				if !ws.Signaled() || ws.Signal() != tc.signal || ws.CoreDump() {
					t.Fatalf("got %v, want death by %v without a core; stderr:\n%s", err, tc.signal, stderr)
				}
				return
			}
			if !ws.Exited() || ws.ExitStatus() != tc.code {
				t.Fatalf("got %v, want exit status %d; stderr:\n%s", err, tc.code, stderr)
			}
		})
	}
}

func waitStatus(err error) syscall.WaitStatus {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Sys().(syscall.WaitStatus)
	}
	return 0
}

// TestSignalsForwarded sends signals to pledge while its program sleeps:
// SIGINT alone (the terminal sends it to the whole group) is dropped, and
// SIGTERM is forwarded, so the program dies of it and pledge mirrors that
// after reaping it. pledge is started with SIGHUP ignored, as nohup does;
// the program keeps ignoring exactly what pledge was started with ignored:
// SIGHUP and whatever this test inherited ignored and the Go runtime leaves
// so (a parent may leave signal 32 ignored), as across a plain exec.
func TestSignalsForwarded(t *testing.T) {
	cmd := shimRun{promises: "stdio rpath", report: true, argv: []string{"/bin/sleep", "30"}}.command()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	signal.Ignore(syscall.SIGHUP)
	inherited := ignoredMask(t, os.Getpid())
	err := cmd.Start()
	signal.Reset(syscall.SIGHUP)
	if err != nil {
		t.Fatal(err)
	}
	if hup := uint64(1) << (syscall.SIGHUP - 1); inherited&hup == 0 {
		t.Fatalf("pledge started with ignored signal mask %#x, want SIGHUP's %#x in it", inherited, hup)
	}
	child := waitForChild(t, cmd.Process.Pid, "sleep")
	if got := ignoredMask(t, child); got != inherited {
		t.Errorf("program ignores signal mask %#x, want %#x, the mask pledge was started with", got, inherited)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := unix.Kill(child, 0); err != nil {
		t.Fatalf("program %d after SIGINT to pledge: %v, want it running", child, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if ws := waitStatus(err); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("pledge: %v, want death by SIGTERM; stderr:\n%s", err, stderr.String())
	}
	if err := unix.Kill(child, 0); err != unix.ESRCH {
		t.Errorf("program %d after pledge ended: %v, want it reaped (ESRCH)", child, err)
	}
}

// ignoredMask reads the SigIgn mask of pid from /proc.
func ignoredMask(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return mask
		}
	}
	t.Fatalf("no SigIgn in /proc/%d/status", pid)
	return 0
}

// waitForChild returns the pid of parent's child once it runs comm.
func waitForChild(t *testing.T, parent int, comm string) int {
	t.Helper()
	path := "/proc/" + strconv.Itoa(parent) + "/task/" + strconv.Itoa(parent) + "/children"
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		for _, f := range strings.Fields(string(b)) {
			name, _ := os.ReadFile(filepath.Join("/proc", f, "comm"))
			if strings.TrimSpace(string(name)) == comm {
				pid, _ := strconv.Atoi(f)
				return pid
			}
		}
	}
	t.Fatalf("no child of %d runs %s", parent, comm)
	return 0
}

// TestPlaceholderPatch: a filter compiled for placeholderPID and patched by
// bindPID's slots with a pid is exactly the filter compiled for that pid,
// for every promise with stdio, static and dynamic, each penalty.
func TestPlaceholderPatch(t *testing.T) {
	const pid = 4321
	var sets []promises.Set
	for bit := range 23 {
		sets = append(sets, promises.Stdio|promises.Set(1)<<bit)
	}
	sets = append(sets, 1<<23-1)
	for _, set := range sets {
		for _, penalty := range []promises.Penalty{promises.PenaltyEPERM, promises.PenaltyKill, promises.PenaltyNotify} {
			for _, dynamic := range []bool{false, true} {
				o := promises.Options{Arch: promises.NativeArch(), Penalty: penalty, Cookie: 7, FileExec: dynamic}
				if dynamic && set&promises.Rpath == 0 {
					o.Loader = promises.Rpath
				}
				got, n := patchedFilter(t, set, o, pid)
				if n == 0 {
					t.Fatalf("%v: no pid test found in a filter with stdio", set)
				}
				o.SelfPID = pid
				if want := assembled(t, set, o); !slices.Equal(got, want) {
					t.Fatalf("%v penalty %v dynamic %v: patched filter differs from the one compiled for pid %d", set, penalty, dynamic, pid)
				}
			}
		}
	}
}

// patchedFilter compiles for placeholderPID, writes pid into the slots
// bindPID finds and returns the program and the number of slots.
func patchedFilter(t *testing.T, set promises.Set, o promises.Options, pid uint32) ([]unix.SockFilter, int) {
	t.Helper()
	o.SelfPID = placeholderPID
	insns := assembled(t, set, o)
	var a forkArgs
	if err := a.bindPID(insns, []byte("v:"+strconv.Itoa(placeholderPID)+":x")); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range a.selfK {
		if k != nil {
			*k = pid
			n++
		}
	}
	return insns, n
}

func assembled(t *testing.T, set promises.Set, o promises.Options) []unix.SockFilter {
	t.Helper()
	prog, err := promises.Compile(set, o)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]unix.SockFilter, len(prog))
	for i, r := range prog {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out
}

// TestBindPIDRejects: a placeholder outside a jeq, or a payload without the
// pid field, cannot be patched and fails the launch.
func TestBindPIDRejects(t *testing.T) {
	var a forkArgs
	bad := []unix.SockFilter{{Code: 0x25, K: placeholderPID}}
	if err := a.bindPID(bad, []byte(":"+strconv.Itoa(placeholderPID)+":")); err == nil || !strings.Contains(err.Error(), "opcode 0x25") {
		t.Errorf("bindPID with a jgt on the placeholder = %v, want an error naming the opcode", err)
	}
	if err := a.bindPID(nil, []byte("pledge-filter-v1:0:1")); err == nil || !strings.Contains(err.Error(), "no :4000000000: field") {
		t.Errorf("bindPID without the payload field = %v, want an error naming the field", err)
	}
}
