package nsexec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigRejected(t *testing.T) {
	dir := t.TempDir()
	status := filepath.Join(dir, "status")
	for _, tc := range []struct {
		name string
		c    Config
		want string
	}{
		{"no status path", Config{}, "StatusPath"},
		{"relative status path", Config{StatusPath: "status"}, "StatusPath"},
		{"unclean status path", Config{StatusPath: dir + "/../x/status"}, "StatusPath"},
		{"hostname with host uts", Config{StatusPath: status, HostUTS: true, Hostname: "h"}, "HostUTS"},
		{"private pid with host mount", Config{StatusPath: status, HostMount: true}, "HostMount"},
		{"missing status dir", Config{StatusPath: filepath.Join(dir, "nope", "status")}, "no such file"},
		{"user namespace with a network namespace", Config{StatusPath: status, UserNS: true, NetNSPath: "/var/run/netns/x"}, "CAP_SYS_ADMIN in the user namespace that owns it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Start(&tc.c)
			if err == nil {
				p.Kill()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start: %v; want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestStatusDirMustBePrivate(t *testing.T) {
	for _, mode := range []os.FileMode{0o770, 0o707, 0o777} {
		dir := filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Start(&Config{StatusPath: filepath.Join(dir, "status")})
		if err == nil || !strings.Contains(err.Error(), "not writable by group or others") {
			t.Errorf("Start with a status directory of mode %o: %v; want it rejected", mode, err)
		}
	}
}

func TestCloneFlags(t *testing.T) {
	for _, tc := range []struct {
		c    Config
		want uintptr
	}{
		{Config{}, 0x20000000 | 0x08000000 | 0x04000000 | 0x00020000},
		{Config{HostPID: true, HostIPC: true, HostUTS: true, HostMount: true}, 0},
		{Config{HostPID: true}, 0x08000000 | 0x04000000 | 0x00020000},
		{Config{UserNS: true}, 0x10000000 | 0x20000000 | 0x08000000 | 0x04000000 | 0x00020000},
		{Config{UserNS: true, HostPID: true, HostIPC: true, HostUTS: true, HostMount: true}, 0x10000000},
	} {
		if got := tc.c.cloneFlags(); got != tc.want {
			t.Errorf("cloneFlags(%+v) = %#x, want %#x", tc.c, got, tc.want)
		}
	}
}
