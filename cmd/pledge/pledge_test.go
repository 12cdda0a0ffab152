package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// Binaries built once by TestMain: the pledge command and the two probes
// (the same actions, static Go and dynamic C), and the libc-free raw probe.
var (
	pledgeBin   string
	staticProbe string
	dynProbe    string // empty when there is no C compiler
	rawProbe    string // empty without a C compiler or off x86_64
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pledge-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := 2
	if err := buildBinaries(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildBinaries(dir string) error {
	// The tree must be readable and its binaries executable by nobody too.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	pledgeBin, staticProbe = filepath.Join(dir, "pledge"), filepath.Join(dir, "probe-static")
	for out, pkg := range map[string]string{pledgeBin: ".", staticProbe: "./testdata/probe"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	if cc, err := exec.LookPath("cc"); err == nil {
		out := filepath.Join(dir, "probe-dynamic")
		if b, err := exec.Command(cc, "-O", "-o", out, "testdata/probe.c").CombinedOutput(); err != nil {
			return fmt.Errorf("cc testdata/probe.c: %v\n%s", err, b)
		}
		dynProbe = out
		if runtime.GOARCH != "amd64" {
			return nil
		}
		raw := filepath.Join(dir, "probe-raw")
		if b, err := exec.Command(cc, "-static", "-nostdlib", "-fno-stack-protector", "-O", "-o", raw, "testdata/rawprobe.c").CombinedOutput(); err != nil {
			return fmt.Errorf("cc testdata/rawprobe.c: %v\n%s", err, b)
		}
		rawProbe = raw
	}
	return nil
}

// result is how a pledge run ended.
type result struct {
	code           int
	signal         syscall.Signal
	stdout, stderr string
}

func runPledge(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return runPledgeEnv(t, dir, nil, args...)
}

// runPledgeEnv runs pledge with env (nil: this process's environment).
func runPledgeEnv(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(pledgeBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			r.signal = ws.Signal()
		} else {
			r.code = ws.ExitStatus()
		}
	case err != nil:
		t.Fatal(err)
	}
	return r
}

// TestCommandLine covers what the command line does before any program runs:
// help, probes, usage errors and their exit statuses.
func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args       string
		code       int
		stdout     string
		stderr     string
		emptyOuput bool
	}{
		{args: "-h", stdout: "usage: pledge"},
		{args: "-Z", stdout: "usage: pledge"},
		{args: "-T pledge"},
		{args: "-T unveil"},
		{args: "-T bogus", code: 2, stderr: "bogus: unknown test"},
		{args: "", code: 64, stderr: "error: missing command"},
		{args: "-p stdio", code: 64, stderr: "usage: pledge"},
		{args: "-p bogus true", code: 21, stderr: "bad promises list: bogus"},
		{args: "-v q:/tmp true", code: 20, stderr: "unveil(q:/tmp)"},
		{args: "-M 1z true", code: 1, stderr: "invalid size"},
		{args: "no-such-command-xyz", code: 10, stderr: "command not found: no-such-command-xyz"},
		{args: "--version", stdout: "pledge "},
		{args: "-list", stdout: "stdio"},
	} {
		r := runPledge(t, "", strings.Fields(tc.args)...)
		if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("pledge %s: exit %d, stdout %.200q, stderr %.200q; want exit %d, stdout with %q, stderr with %q",
				tc.args, r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
		}
	}
}

// probes are the test programs, static and dynamic.
func probes(t *testing.T) map[string]string {
	p := map[string]string{"static": staticProbe}
	if dynProbe != "" {
		p["dynamic"] = dynProbe
	} else {
		t.Log("no C compiler: dynamic probe not tested")
	}
	return p
}

// scratch creates a tree readable by nobody:
//
//	ro/file  rw/file  single/file  c/sub/  c/gone  hidden/file  hidden/sub/
func scratch(t *testing.T) string {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"ro", "rw", "single", "c/sub", "hidden/sub", "x"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"ro/file", "rw/file", "single/file", "c/gone", "hidden/file"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("data"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestUnveilEnforcement runs each probe under pledge with unveils and checks
// the errno of one action. Needs the seccomp filter of the sandbox package.
func TestUnveilEnforcement(t *testing.T) {
	const unveils = "-v r:ro -v rw:rw -v w:single/file -v c:c -v rx:x"
	for kind, probe := range probes(t) {
		for _, tc := range []struct {
			name, action, path string
			want               syscall.Errno
		}{
			{"r reads", "read", "ro/file", 0},
			{"r lists", "list", "ro", 0},
			{"r does not write", "write", "ro/file", syscall.EACCES},
			{"rw writes", "write", "rw/file", 0},
			{"rw truncates", "trunc", "rw/file", 0},
			{"w on a single file truncates", "trunc", "single/file", 0},
			{"w on a single file does not read", "read", "single/file", syscall.EACCES},
			{"c makes dirs", "mkdir", "c/new", 0},
			{"c removes files", "unlink", "c/gone", 0},
			{"c removes dirs", "rmdir", "c/sub", 0},
			{"c does not list", "list", "c", syscall.EACCES},
			{"hidden", "read", "hidden/file", syscall.EACCES},
			{"hidden dir", "list", "hidden", syscall.EACCES},
			{"unlink outside the tree", "unlink", "hidden/file", syscall.EACCES},
			{"rmdir outside the tree", "rmdir", "hidden/sub", syscall.EACCES},
			{"mkdir outside the tree", "mkdir", "hidden/new", syscall.EACCES},
			{"not unveiled", "read", "/etc/passwd", syscall.EACCES},
		} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				dir := scratch(t)
				args := append([]string{"-p", "stdio rpath wpath cpath"}, strings.Fields(unveils)...)
				args = append(args, probe, tc.action, tc.path)
				r := runPledge(t, dir, args...)
				if r.code != int(tc.want) || r.signal != 0 {
					t.Errorf("pledge %q: exit %d signal %v (%s), want errno %d (%v)", args, r.code, r.signal, r.stderr, tc.want, tc.want)
				}
			})
		}
	}
}

// TestUser checks -u nobody: the program runs as nobody with nobody's groups
// and nothing left of root's.
func TestUser(t *testing.T) {
	for kind, probe := range probes(t) {
		r := runPledge(t, "", "-u", "nobody", probe, "ids")
		if r.code != 0 || r.stdout != "65534 65534 [65534]\n" {
			t.Errorf("%s: pledge -u nobody probe ids: exit %d, stdout %q, stderr %q; want \"65534 65534 [65534]\"", kind, r.code, r.stdout, r.stderr)
		}
	}
}

// TestExecAfterStart: without exec, the program cannot execute anything,
// itself included.
func TestExecAfterStart(t *testing.T) {
	for kind, probe := range probes(t) {
		r := runPledge(t, "", "-p", "stdio rpath", "-v", "rx:/", probe, "exec", probe)
		if r.code != int(syscall.EPERM) {
			t.Errorf("%s: exec without the exec promise: exit %d (%s), want EPERM", kind, r.code, r.stderr)
		}
	}
}

// TestChroot runs the static probe in a chroot that has no /proc, with a
// supervisor (reporting is on by default): pledge supervises in-process,
// so it needs nothing inside the chroot. The denied read is reported by
// that supervisor.
func TestChroot(t *testing.T) {
	root := t.TempDir()
	b, err := os.ReadFile(staticProbe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "probe"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		promises string
		code     int
		stderr   string
	}{
		{"stdio rpath", 0, ""},
		{"stdio", int(syscall.EPERM), "pledge promise 'rpath' to allow"},
	} {
		r := runPledge(t, "", "-c", root, "-p", tc.promises, "-v", "r:/file", "/probe", "read", "/file")
		if r.code != tc.code || r.signal != 0 || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("pledge -c %s -p %q -v r:/file /probe read /file: exit %d signal %v, stderr %q; want exit %d, stderr with %q",
				root, tc.promises, r.code, r.signal, r.stderr, tc.code, tc.stderr)
		}
	}
}

// TestPreloadUnreadable: a dynamic program without rpath needs the preload
// object to end its loader phase. If the program's user cannot read it (here
// TMPDIR is a root-only directory and the program runs as nobody), ld.so
// would skip it and the program would keep rpath; pledge must refuse with
// exit status 20 instead.
func TestPreloadUnreadable(t *testing.T) {
	private := t.TempDir()
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TMPDIR="+private)
	// -V: without Landlock only the uid stands between ld.so and the object.
	for _, flags := range [][]string{{"-u", "nobody"}, {"-V", "-u", "nobody"}} {
		args := append(flags, "-p", "stdio", "/bin/true")
		r := runPledgeEnv(t, "", env, args...)
		if r.code != 20 || !strings.Contains(r.stderr, "cannot read the loader-phase preload "+private) || !strings.Contains(r.stderr, "set TMPDIR") {
			t.Errorf("pledge %q with TMPDIR=%s (0700 root): exit %d signal %v, stderr %q; want exit 20 naming the preload and TMPDIR",
				args, private, r.code, r.signal, r.stderr)
		}
	}
	// The same run with a readable TMPDIR works.
	if r := runPledge(t, "", "-u", "nobody", "-p", "stdio", "/bin/true"); r.code != 0 {
		t.Errorf("pledge -u nobody -p stdio /bin/true: exit %d, stderr %q", r.code, r.stderr)
	}
}
