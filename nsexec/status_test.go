package nsexec

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ExitStatus
		ok   bool
	}{
		{"exited 0\n", ExitStatus{}, true},
		{"exited 255\n", ExitStatus{Code: 255}, true},
		{"signaled 9\n", ExitStatus{Code: 137, Signal: syscall.SIGKILL}, true},
		{"signaled 64\n", ExitStatus{Code: 192, Signal: 64}, true},
		{"exited 256\n", ExitStatus{}, false},
		{"exited -1\n", ExitStatus{}, false},
		{"exited 07\n", ExitStatus{}, false},
		{"exited +7\n", ExitStatus{}, false},
		{"exited 7", ExitStatus{}, false},
		{"exited 7\n\n", ExitStatus{}, false},
		{"exited  7\n", ExitStatus{}, false},
		{"signaled 0\n", ExitStatus{}, false},
		{"signaled 65\n", ExitStatus{}, false},
		{"stopped 1\n", ExitStatus{}, false},
		{"", ExitStatus{}, false},
	} {
		got, err := parseStatus([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseStatus(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{"exited 0\n", "signaled 15\n", "exited 300\n", "signaled x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStatus(b)
		if err != nil {
			return
		}
		// Whatever parses must be exactly what formatStatus writes.
		if again := formatStatus(st); string(again) != string(b) {
			t.Errorf("parseStatus(%q) = %v, which formats as %q", b, st, again)
		}
	})
}

func TestStatusRoundTrip(t *testing.T) {
	dir := t.TempDir()
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	path := filepath.Join(dir, "status")
	if _, err := ReadStatus(path); !errors.Is(err, ErrStatusMissing) {
		t.Errorf("ReadStatus of a missing file = %v, want ErrStatusMissing", err)
	}
	for _, st := range []ExitStatus{{Code: 3}, {Code: 143, Signal: syscall.SIGTERM}} {
		if err := writeStatus(fd, "status", st); err != nil {
			t.Fatal(err)
		}
		if got, err := ReadStatus(path); err != nil || got != st {
			t.Errorf("ReadStatus after writeStatus(%v) = %v, %v", st, got, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("status directory holds %d entries, want only the status file", len(entries))
	}
}
