package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenProgram(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool")
	plain := filepath.Join(dir, "plain")
	for path, mode := range map[string]os.FileMode{exe: 0o755, plain: 0o644} {
		if err := os.WriteFile(path, []byte("#!/bin/true\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name     string
		env      []string
		wantPath string
		wantErr  error
	}{
		{name: "tool", env: []string{"PATH=/nonexistent:" + dir}, wantPath: exe},
		{name: "tool", env: []string{"PATH=" + dir, "PATH=/nonexistent"}, wantErr: unix.ENOENT}, // last PATH wins
		{name: exe, env: nil, wantPath: exe},
		{name: "plain", env: []string{"PATH=" + dir}, wantErr: unix.EACCES},
		{name: dir, env: nil, wantErr: unix.EACCES},
		{name: "missing", env: []string{"PATH=" + dir}, wantErr: unix.ENOENT},
		{name: "", wantErr: unix.ENOENT},
	} {
		prog, err := openProgram(tc.name, tc.env)
		if tc.wantErr != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code() != ExitNotFound || !errors.Is(err, tc.wantErr) {
				t.Errorf("openProgram(%q, %q) error = %v, want exit %d with %v", tc.name, tc.env, err, ExitNotFound, tc.wantErr)
			}
			continue
		}
		if err != nil || prog.path != tc.wantPath {
			t.Errorf("openProgram(%q, %q) = %+v, %v; want path %s", tc.name, tc.env, prog, err, tc.wantPath)
			continue
		}
		unix.Close(prog.fd)
	}
}

func TestScrubEnv(t *testing.T) {
	got := scrubEnv([]string{"A=1", "LD_PRELOAD=/evil.so", "_PLEDGE=3,2", "LD_PRELOADX=ok", "B="})
	want := []string{"A=1", "LD_PRELOADX=ok", "B="}
	if len(got) != len(want) {
		t.Fatalf("scrubEnv = %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("scrubEnv = %q, want %q", got, want)
		}
	}
}

func TestParseCapability(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"CAP_NET_BIND_SERVICE", 10, true}, {"net_bind_service", 10, true}, {"cap_chown", 0, true},
		{"CAP_CHECKPOINT_RESTORE", 40, true}, {"CAP_BOGUS", 0, false}, {"", 0, false},
	} {
		got, err := ParseCapability(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseCapability(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
