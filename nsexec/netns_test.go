package nsexec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// newNetNS creates a network namespace pinned by a bind mount at a temporary
// path, without external tools: a locked thread unshares and bind-mounts its
// own namespace, and is then discarded.
func newNetNS(t *testing.T) string {
	t.Helper()
	requireRoot(t)
	path := filepath.Join(t.TempDir(), "netns")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	onSpareThread(func() {
		if err = unix.Unshare(unix.CLONE_NEWNET); err == nil {
			err = unix.Mount(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), path, "", unix.MS_BIND, "")
		}
	})
	if err != nil {
		t.Fatalf("create network namespace: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(path, unix.MNT_DETACH) })
	return path
}

func nsLink(t *testing.T, path string) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("net:[%d]", st.Ino)
}

func TestJoinNetNS(t *testing.T) {
	path := newNetNS(t)
	tk := startTask(t, Config{NetNSPath: path}, "report")
	if got, want := tk.report(t)["netns"], nsLink(t, path); got != want {
		t.Errorf("task's network namespace is %q, want %q", got, want)
	}
	if self, _ := os.Readlink("/proc/self/ns/net"); self == nsLink(t, path) {
		t.Errorf("the driver itself moved into the task's network namespace")
	}
}

func TestNetNSErrors(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	notNS := filepath.Join(dir, "file")
	if err := os.WriteFile(notNS, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing"), "no such file or directory"},
		{notNS, "is not a network namespace"},
	} {
		_, err := Start(&Config{NetNSPath: tc.path, StatusPath: filepath.Join(dir, "status")})
		if err == nil || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Start with NetNSPath %s = %v, want an error naming it and %q", tc.path, err, tc.want)
		}
	}
}
