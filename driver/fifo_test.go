package driver

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenLogFIFO(t *testing.T) {
	alloc := t.TempDir()
	logs := filepath.Join(alloc, "alloc", "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(logs, ".t.stdout.fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := openLogFIFO(alloc, fifo)
	if err != nil {
		t.Fatalf("openLogFIFO: %v", err)
	}
	if _, err := w.WriteString("hello\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := unix.SetNonblock(int(r.Fd()), false); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "hello\n" {
		t.Fatalf("read %q, %v", got, err)
	}
}

func TestOpenLogFIFORejects(t *testing.T) {
	alloc := t.TempDir()
	outside := t.TempDir()
	if err := unix.Mkfifo(filepath.Join(outside, "f"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(alloc, "regular"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "f"), filepath.Join(alloc, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(alloc, "dirlink")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
	}{
		{filepath.Join(outside, "f"), "not inside"},
		{filepath.Join(alloc, "..", filepath.Base(outside), "f"), "not inside"},
		{alloc, "not inside"},
		{"relative", "must be absolute"},
		{filepath.Join(alloc, "regular"), "not a fifo"},
		{filepath.Join(alloc, "link"), "too many levels of symbolic links"},
		{filepath.Join(alloc, "dirlink", "f"), "too many levels of symbolic links"},
		{filepath.Join(alloc, "missing"), "no such file"},
	}
	for _, tt := range tests {
		f, err := openLogFIFO(alloc, tt.path)
		if err == nil {
			f.Close()
			t.Errorf("openLogFIFO(%q) succeeded, want error containing %q", tt.path, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("openLogFIFO(%q) = %v, want error containing %q", tt.path, err, tt.want)
		}
	}
}

func TestOpenLogFIFODevNull(t *testing.T) {
	f, err := openLogFIFO("/nonexistent", devNull)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}
