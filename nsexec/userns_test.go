package nsexec

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// nobody is the unprivileged uid and gid the user namespace tests run as.
const nobody = 65534

// rerunAsNobody runs the calling (top-level) test again, as uid and gid
// 65534 without supplementary groups, in a copy of the test binary that
// nobody may execute, when the test process is root; it reports whether it
// did, and the caller then returns. Unprivileged, it returns false and the
// test runs right here.
func rerunAsNobody(t *testing.T) bool {
	t.Helper()
	requireUnprivilegedUserNS(t)
	if os.Geteuid() != 0 {
		return false
	}
	dir, err := os.MkdirTemp("", "nsexec-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(tmp, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "nsexec.test")
	copyExecutable(t, bin)
	cmd := exec.Command(bin, "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMPDIR=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
	cmd.Dir = tmp
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s as uid %d: %v\n%s", t.Name(), nobody, err, out)
	}
	if strings.Contains(string(out), "--- SKIP") {
		t.Skipf("skipped as uid %d:\n%s", nobody, out)
	}
	t.Logf("as uid %d:\n%s", nobody, out)
	return true
}

// copyExecutable copies the running test binary to path, mode 0755.
func copyExecutable(t *testing.T, path string) {
	t.Helper()
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, self); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// requireUnprivilegedUserNS skips when the kernel refuses user namespaces
// to unprivileged processes, naming the setting that does.
func requireUnprivilegedUserNS(t *testing.T) {
	t.Helper()
	for file, refusing := range map[string]string{
		"/proc/sys/user/max_user_namespaces":                     "0",
		"/proc/sys/kernel/unprivileged_userns_clone":             "0",
		"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1",
	} {
		if b, err := os.ReadFile(file); err == nil && strings.TrimSpace(string(b)) == refusing {
			t.Skipf("the kernel refuses user namespaces to unprivileged processes: %s is %s", file, refusing)
		}
	}
}

// Capability sets a report shows: a command must hold nothing in any of
// them; init nothing that it can use or pass on (its bounding set bounds
// only execs, and init does not exec; see confine).
var (
	commandCapSets = []string{"CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"}
	initCapSets    = []string{"CapEff", "CapPrm", "CapInh", "CapAmb"}
)

// wantNoCapabilities checks a report's capability sets of prefix (init or
// self): all empty.
func wantNoCapabilities(t *testing.T, got map[string]string, prefix string, sets []string) {
	t.Helper()
	for _, set := range sets {
		if v := got[prefix+set]; v != "0000000000000000" {
			t.Errorf("%s has %s=%q, want none", prefix, set, v)
		}
	}
}

// wantOwnIdentity checks that the report's process runs as the test's
// own uid and gid.
func wantOwnIdentity(t *testing.T, got map[string]string, prefix string) {
	t.Helper()
	uid, gid := strconv.Itoa(os.Geteuid()), strconv.Itoa(os.Getegid())
	if want := strings.Repeat(uid+" ", 3) + uid; got[prefix+"Uid"] != want {
		t.Errorf("%s has uids %q, want %q", prefix, got[prefix+"Uid"], want)
	}
	if want := strings.Repeat(gid+" ", 3) + gid; got[prefix+"Gid"] != want {
		t.Errorf("%s has gids %q, want %q", prefix, got[prefix+"Gid"], want)
	}
}

func TestUserNSPrivateNamespaces(t *testing.T) {
	if rerunAsNobody(t) {
		return
	}
	tk := launchTask(t, Config{UserNS: true, Hostname: "rootless-host"}, "report")
	got := tk.report(t)
	if got["hostname"] != "rootless-host" {
		t.Errorf("task sees hostname %q, want rootless-host", got["hostname"])
	}
	if want := "1," + got["pid"]; got["proc"] != want {
		t.Errorf("task sees /proc pids %q, want %q: init and itself in a private pid namespace", got["proc"], want)
	}
	for _, ns := range []string{"pid", "ipc", "uts", "mnt", "user"} {
		if self, _ := os.Readlink("/proc/self/ns/" + ns); got[ns+"ns"] == self || got[ns+"ns"] == "" {
			t.Errorf("task's %s namespace %q is not a new one (driver's is %q)", ns, got[ns+"ns"], self)
		}
	}
	if self, _ := os.Readlink("/proc/self/ns/net"); got["netns"] != self {
		t.Errorf("task's network namespace is %q, want the driver's %q", got["netns"], self)
	}
	wantOwnIdentity(t, got, "self")
	wantNoCapabilities(t, got, "self", commandCapSets)
	wantNoCapabilities(t, got, "init", initCapSets)
	if got["initNoNewPrivs"] != "1" || got["selfNoNewPrivs"] != "1" {
		t.Errorf("no_new_privs of init %q and task %q, want 1 for both", got["initNoNewPrivs"], got["selfNoNewPrivs"])
	}
	if st, err := tk.wait(t); err != nil || st != (ExitStatus{}) {
		t.Errorf("Wait = %v, %v; want exit code 0", st, err)
	}
}

func TestUserNSSignalAndStatus(t *testing.T) {
	if rerunAsNobody(t) {
		return
	}
	tk := launchTask(t, Config{UserNS: true}, "wait")
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
	if b, err := os.ReadFile(tk.statusPath); string(b) != "signaled 15\n" {
		t.Errorf("status file holds %q (%v), want \"signaled 15\\n\"", b, err)
	}
}

func TestUserNSEnter(t *testing.T) {
	if rerunAsNobody(t) {
		return
	}
	tk := launchTask(t, Config{UserNS: true, Hostname: "enter-rootless"}, "stubborn")
	if got := tk.line(t); got != "ready" {
		t.Fatalf("task said %q", got)
	}
	t.Run("report", func(t *testing.T) {
		entered := enter(t, tk, Shim{Args: []string{shimArg, "report"}})
		got := entered.report(t)
		for _, ns := range []string{"pid", "net", "ipc", "uts", "mnt", "user"} {
			if want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", tk.Pid, ns)); got[ns+"ns"] != want {
				t.Errorf("entered command's %s namespace is %q, want init's %q", ns, got[ns+"ns"], want)
			}
		}
		if got["hostname"] != "enter-rootless" {
			t.Errorf("entered command sees hostname %q", got["hostname"])
		}
		if !strings.HasPrefix(got["proc"], "1,") || !strings.Contains(got["proc"], ","+got["pid"]) {
			t.Errorf("entered command with pid %s sees /proc %q, want the task's pid namespace", got["pid"], got["proc"])
		}
		wantOwnIdentity(t, got, "self")
		wantNoCapabilities(t, got, "self", commandCapSets)
		for _, fd := range strings.Split(got["fds"], ",") {
			num, link, _ := strings.Cut(fd, ":")
			if n, _ := strconv.Atoi(num); n > 2 && (strings.HasPrefix(link, "pipe:") || link == os.DevNull) {
				t.Errorf("entered command inherited fd %s (all: %s), want only its stdio and the runtime's own", fd, got["fds"])
			}
		}
		if st, err := entered.wait(t); err != nil || st != (ExitStatus{}) {
			t.Errorf("Wait = %v, %v; want exit code 0", st, err)
		}
	})
	t.Run("exit code", func(t *testing.T) {
		entered := enter(t, tk, Shim{Args: []string{shimArg, "exit", "3"}})
		if st, err := entered.wait(t); err != nil || st != (ExitStatus{Code: 3}) {
			t.Errorf("Wait = %v, %v; want exit code 3", st, err)
		}
	})
	t.Run("tty", func(t *testing.T) {
		master, slave := openPTY(t)
		cmd, err := tk.Enter(&ExecConfig{TTY: true, Shim: Shim{Args: []string{shimArg, "tty"}, Stdin: slave, Stdout: slave, Stderr: slave}})
		slave.Close()
		if err != nil {
			t.Fatalf("Enter: %v", err)
		}
		defer cmd.Close()
		line, _ := bufio.NewReader(master).ReadString('\n')
		if got := strings.TrimSpace(line); got != "leader=true ctty=true" {
			t.Errorf("command on a tty says %q, want leader=true ctty=true", got)
		}
		entered := &task{Process: cmd}
		if st, err := entered.wait(t); err != nil || st != (ExitStatus{}) {
			t.Errorf("Wait = %v, %v; want exit code 0", st, err)
		}
	})
	t.Run("missing executable", func(t *testing.T) {
		_, err := tk.Enter(&ExecConfig{Shim: Shim{Self: "/nonexistent/shim"}})
		if err == nil || !strings.Contains(err.Error(), "execve") || !strings.Contains(err.Error(), "no such file") {
			t.Errorf("Enter of a missing executable: %v; want the execve step and ENOENT", err)
		}
	})
}

// enter starts shim in tk's namespaces with its stdout on a pipe.
func enter(t *testing.T, tk *task, shim Shim) *task {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	shim.Stdout, shim.Stderr = w, os.Stderr
	cmd, err := tk.Enter(&ExecConfig{Shim: shim})
	w.Close()
	if err != nil {
		t.Fatalf("Enter: %v", err)
	}
	t.Cleanup(func() { cmd.Close() })
	return &task{Process: cmd, out: bufio.NewReader(r)}
}

// openPTY opens a pseudo-terminal pair, closed after the test.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// TestUserNSHeldFD: an unprivileged driver gets init's held file back with
// GetFD (it holds every capability over the user namespace it created, so
// the non-dumpable init is open to it), and the task, in that namespace
// without capabilities, does not.
func TestUserNSHeldFD(t *testing.T) {
	if rerunAsNobody(t) {
		return
	}
	tk := launchTask(t, Config{UserNS: true, Hold: true}, "usr1-getfd")
	if got := tk.line(t); got != "ready" {
		t.Fatalf("task said %q, want ready", got)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := tk.HandOver(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	held, err := tk.GetFD(HeldFD)
	if err != nil {
		t.Fatalf("GetFD(HeldFD) of an init in the driver's user namespace: %v", err)
	}
	held.Close()
	if err := tk.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if got, want := tk.line(t), strconv.Itoa(int(unix.EPERM)); got != want {
		t.Errorf("the task's pidfd_getfd of init's held fd gave errno %s, want EPERM (%s)", got, want)
	}
	if st, err := tk.wait(t); err != nil || st != (ExitStatus{}) {
		t.Errorf("Wait = %v, %v; want exit code 0", st, err)
	}
}
