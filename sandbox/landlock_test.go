package sandbox

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The Landlock tests re-execute the test binary: the child (selected by
// childUnveils) applies the unveils with the shim's own code on its locked
// main thread, performs one action and exits with the action's errno.
const (
	childUnveils = "SANDBOX_TEST_UNVEILS" // "|"-separated -v arguments
	childAction  = "SANDBOX_TEST_ACTION"  // verb:path[:path2]
)

// Child exit statuses that are not errnos.
const (
	childSetupFailed = 200
	childBadAction   = 201
)

func init() {
	if spec, ok := os.LookupEnv(childUnveils); ok {
		os.Exit(landlockChild(spec, os.Getenv(childAction)))
	}
}

func landlockChild(spec, action string) int {
	// The library directories are unveiled as for any dynamic program, so
	// that exec actions can run /bin/true.
	p := Policy{AutoUnveil: true}
	for _, s := range strings.Split(spec, "|") {
		if s == "" {
			continue
		}
		u, err := ParseUnveil(s)
		if err != nil {
			return childSetupFailed
		}
		p.Unveils = append(p.Unveils, u)
	}
	prog, err := openExecutable("/bin/true")
	if err != nil {
		return childSetupFailed
	}
	if err := unveil(&p, prog, target{kind: kindDynamic}, nil, nil); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return childSetupFailed
	}
	return errnoOf(doAction(action))
}

func doAction(action string) error {
	verb, arg, _ := strings.Cut(action, ":")
	path, path2, _ := strings.Cut(arg, ":")
	openClose := func(flags int) error {
		fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0o644)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}
	switch verb {
	case "read":
		return openClose(unix.O_RDONLY)
	case "list":
		return openClose(unix.O_RDONLY | unix.O_DIRECTORY)
	case "write":
		return openClose(unix.O_WRONLY)
	case "trunc":
		return openClose(unix.O_WRONLY | unix.O_TRUNC)
	case "create":
		return unix.Mknod(path, unix.S_IFREG|0o644, 0)
	case "mkdir":
		return unix.Mkdir(path, 0o755)
	case "unlink":
		return unix.Unlink(path)
	case "rmdir":
		return unix.Rmdir(path)
	case "rename":
		return unix.Rename(path, path2)
	case "exec":
		return unix.Exec(path, []string{path}, nil)
	}
	return syscall.Errno(childBadAction)
}

func errnoOf(err error) int {
	var e syscall.Errno
	if errors.As(err, &e) {
		return int(e)
	}
	if err != nil {
		return childSetupFailed
	}
	return 0
}

// scratchTree creates, in a fresh directory:
//
//	ro/file  rw/file  single/file  x/true  c/sub/  c/gone  hidden/file  hidden/sub/
//	link -> ro
func scratchTree(t *testing.T) string {
	dir := t.TempDir()
	trueBin, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"ro", "rw", "single", "x", "c/sub", "hidden/sub"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for rel, data := range map[string]string{"ro/file": "x", "rw/file": "x", "single/file": "x", "c/gone": "", "hidden/file": "x", "x/true": string(trueBin)} {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("ro", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestUnveilLetters checks every unveil letter, allowed and denied, with the
// exact errno, each case on a fresh scratchTree. Paths are relative to it.
func TestUnveilLetters(t *testing.T) {
	if LandlockABI() < 3 {
		t.Skipf("needs Landlock ABI 3 (truncate); kernel has %d", LandlockABI())
	}
	const unveils = "r:ro|rw:rw|w:single/file|x:x|c:c|r:missing"
	for _, tc := range []struct {
		name, unveils, action string
		want                  syscall.Errno
	}{
		{"r reads", unveils, "read:ro/file", 0},
		{"r lists", unveils, "list:ro", 0},
		{"r does not write", unveils, "write:ro/file", unix.EACCES},
		{"r does not create", unveils, "create:ro/new", unix.EACCES},
		{"r does not execute", unveils, "exec:ro/file", unix.EACCES},
		{"rw writes", unveils, "write:rw/file", 0},
		{"rw truncates", unveils, "trunc:rw/file", 0},
		{"w on a file writes", unveils, "write:single/file", 0},
		{"w on a file truncates", unveils, "trunc:single/file", 0},
		{"w on a file does not read", unveils, "read:single/file", unix.EACCES},
		{"rx executes", "rx:x", "exec:x/true", 0},
		{"x alone does not execute: exec also reads", unveils, "exec:x/true", unix.EACCES},
		{"x does not read", unveils, "read:x/true", unix.EACCES},
		{"c creates", unveils, "create:c/new", 0},
		{"c makes dirs", unveils, "mkdir:c/newdir", 0},
		{"c removes files", unveils, "unlink:c/gone", 0},
		{"c removes dirs", unveils, "rmdir:c/sub", 0},
		{"c does not write", unveils, "write:c/gone", unix.EACCES},
		{"c does not list", unveils, "list:c", unix.EACCES},
		{"hidden read", unveils, "read:hidden/file", unix.EACCES},
		{"hidden list", unveils, "list:hidden", unix.EACCES},
		{"unlink outside the tree", unveils, "unlink:hidden/file", unix.EACCES},
		{"rmdir outside the tree", unveils, "rmdir:hidden/sub", unix.EACCES},
		{"mkdir outside the tree", unveils, "mkdir:hidden/new", unix.EACCES},
		{"rename needs c on both sides", "rc:ro|r:rw", "rename:ro/file:rw/moved", unix.EACCES},
		{"rename between rc trees", "rc:ro|rc:rw", "rename:ro/file:rw/moved", 0},
		{"symlink unveils its target", "r:link", "read:ro/file", 0},
		{"no rules hide everything", "", "read:/etc/passwd", unix.EACCES},
		{"the program stays executable", "", "exec:/bin/true", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := scratchTree(t)
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), childUnveils+"="+tc.unveils, childAction+"="+tc.action)
			out, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != int(tc.want) {
				t.Errorf("%s under %q: exit %d (%v), want %d (%v); output %s", tc.action, tc.unveils, code, syscall.Errno(code), tc.want, tc.want, out)
			}
		})
	}
}

// TestCloseRuns closes exactly the fds given, in runs and alone, and
// leaves the fds between the runs open.
func TestCloseRuns(t *testing.T) {
	fds := make([]int, 6)
	for i := range fds {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		fds[i] = fd
	}
	keep := fds[3]
	defer unix.Close(keep)
	closeRuns([]int{fds[5], fds[0], fds[2], fds[1], fds[4]})
	for i, fd := range fds {
		_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if fd == keep && err != nil {
			t.Errorf("fd %d (index %d) was not in the list but is closed: %v", fd, i, err)
		}
		if fd != keep && err != unix.EBADF {
			t.Errorf("fd %d (index %d) is still open after closeRuns (fcntl: %v)", fd, i, err)
		}
	}
}

// TestBuilderOpensEachPathOnce gives a path named twice, directly and
// through a symlink, one fd: the later rules reuse it and do not own it.
func TestBuilderOpensEachPathOnce(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	b := rulesetBuilder{abi: 3}
	defer b.close()
	for _, u := range []Unveil{{PermRead, link}, {PermWrite, dir}, {PermRead, link}} {
		if err := b.add(u); err != nil {
			t.Fatal(err)
		}
	}
	if len(b.rules) != 3 {
		t.Fatalf("got %d rules, want 3", len(b.rules))
	}
	for i, r := range b.rules {
		if r.fd != b.rules[0].fd || r.owned != (i == 0) {
			t.Errorf("rule %d = fd %d owned %v, want fd %d owned %v", i, r.fd, r.owned, b.rules[0].fd, i == 0)
		}
	}
}
