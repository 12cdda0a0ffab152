package driver_test

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/driver"
)

// TestTaskHelperRunsSealedImage puts a real program in the helper memfd and
// runs it by the returned path, as init and shim are run.
func TestTaskHelperRunsSealedImage(t *testing.T) {
	image, err := os.ReadFile("/bin/echo")
	if err != nil {
		t.Fatal(err)
	}
	f, path, err := driver.TaskHelper(image)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fd, err := strconv.Atoi(strings.TrimPrefix(path, "/proc/self/fd/")); err != nil || fd < 100 || fd != int(f.Fd()) {
		t.Fatalf("path %q for fd %d: want /proc/self/fd/N with N >= 100", path, f.Fd())
	}
	// Files dup2'd onto low fds must not replace the helper.
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	cmd := exec.Command(path, "from", "memfd")
	for range 10 {
		cmd.ExtraFiles = append(cmd.ExtraFiles, null)
	}
	out, err := cmd.Output()
	if err != nil || string(out) != "from memfd\n" {
		t.Fatalf("run %s: %q, %v", path, out, err)
	}
	if _, err := unix.Write(int(f.Fd()), []byte("x")); !errors.Is(err, unix.EPERM) {
		t.Errorf("write to the sealed helper: %v, want EPERM", err)
	}
	if err := unix.Ftruncate(int(f.Fd()), 0); !errors.Is(err, unix.EPERM) {
		t.Errorf("truncate the sealed helper: %v, want EPERM", err)
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, unix.F_SEAL_FUTURE_WRITE); !errors.Is(err, unix.EPERM) {
		t.Errorf("add a seal: %v, want EPERM (F_SEAL_SEAL)", err)
	}
}

func TestTaskHelperRejectsEmptyImage(t *testing.T) {
	if _, _, err := driver.TaskHelper(nil); err == nil || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("err %v, want one that says how to build the helper", err)
	}
}
