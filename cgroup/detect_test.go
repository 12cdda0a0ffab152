package cgroup

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDetectAt(t *testing.T) {
	tests := []struct {
		host        string
		mode        Mode
		controllers []string
		mounts      map[string]string
	}{
		{host: "v2", mode: ModeV2},
		{
			host:        "hybrid",
			mode:        ModeV1,
			controllers: []string{"freezer", "cpu", "cpuacct", "memory", "cpuset", "pids"},
			mounts:      map[string]string{"cpu": "/sys/fs/cgroup/cpu", "cpuacct": "/sys/fs/cgroup/cpuacct", "memory": "/sys/fs/cgroup/memory"},
		},
		{
			host:        "comounted",
			mode:        ModeV1,
			controllers: []string{"freezer", "cpu", "cpuacct", "memory", "cpuset", "pids"},
			mounts: map[string]string{
				"cpu":     "/sys/fs/cgroup/cpu,cpuacct",
				"cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
				"memory":  "/sys/fs/cgroup/memory", // not the earlier mount at /mnt/with space
			},
		},
		{host: "none", mode: ModeNone},
		{host: "overmount", mode: ModeV2},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			root, err := filepath.Abs(filepath.Join("testdata/hosts", tt.host))
			if err != nil {
				t.Fatal(err)
			}
			h, err := DetectAt(root)
			if err != nil {
				t.Fatalf("DetectAt: %v", err)
			}
			if h.Mode() != tt.mode {
				t.Errorf("Mode() = %q, want %q", h.Mode(), tt.mode)
			}
			if got := h.Controllers(); !slices.Equal(got, tt.controllers) {
				t.Errorf("Controllers() = %v, want %v", got, tt.controllers)
			}
			for c, want := range tt.mounts {
				if got := h.v1[c]; got != want {
					t.Errorf("mount of %s = %q, want %q", c, got, want)
				}
			}
		})
	}
}

func TestDetectAtErrors(t *testing.T) {
	truncated, err := filepath.Abs("testdata/hosts/truncated")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, root, want string
	}{
		{"relative root", "testdata/hosts/v2", "want an absolute directory"},
		{"no mountinfo", t.TempDir(), "no such file"},
		{"truncated line", truncated, "mountinfo line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DetectAt(tt.root)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("DetectAt(%q) error = %v, want one containing %q", tt.root, err, tt.want)
			}
		})
	}
}

// TestDetectThisHost checks that the real mountinfo parses; the layout of
// the machine running the tests is whatever it is.
func TestDetectThisHost(t *testing.T) {
	if _, err := os.Stat("/proc/self/mountinfo"); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	h, err := Detect()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cgroup mode %s, v1 controllers %v", h.Mode(), h.Controllers())
}

func TestUnescapeMountinfo(t *testing.T) {
	tests := map[string]string{
		`/plain`:           "/plain",
		`/with\040space`:   "/with space",
		`/tab\011and\012n`: "/tab\tand\nn",
		`/back\134slash`:   `/back\slash`,
		`/short\04`:        `/short\04`,
		`/not\999octal`:    `/not\999octal`,
		`/too\477big`:      `/too\477big`,
		`/end\`:            `/end\`,
	}
	for in, want := range tests {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseMountinfoLine(t *testing.T) {
	tests := []struct {
		line    string
		want    mount
		wantErr bool
	}{
		{
			line: "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:5 master:1 - cgroup cgroup rw,cpu,cpuacct",
			want: mount{point: "/sys/fs/cgroup/cpu", fstype: "cgroup", superOpts: []string{"rw", "cpu", "cpuacct"}},
		},
		{
			line: "26 23 0:25 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate",
			want: mount{point: "/sys/fs/cgroup", fstype: "cgroup2", superOpts: []string{"rw", "nsdelegate"}},
		},
		{line: "26 23 0:25 / /sys/fs/cgroup rw cgroup2 cgroup2 rw", wantErr: true},
		{line: "26 23 0:25 / /sys/fs/cgroup rw - cgroup2 cgroup2", wantErr: true},
		{line: "- a b c", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseMountinfoLine(tt.line)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseMountinfoLine(%q) error = %v, wantErr %v", tt.line, err, tt.wantErr)
			continue
		}
		if err == nil && (got.point != tt.want.point || got.fstype != tt.want.fstype || !slices.Equal(got.superOpts, tt.want.superOpts)) {
			t.Errorf("parseMountinfoLine(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}
