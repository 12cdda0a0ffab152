package cgroup

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	alloc    = "6f3c1c1e-7d1a-4d33-9a8b-0c2f1e5b9a10"
	task     = "web"
	taskName = alloc + "." + task
)

func TestJoinV2(t *testing.T) {
	scope := "/sys/fs/cgroup/nomad.slice/share.slice/" + taskName + ".scope"
	h, root := fakeHost(t, "v2", map[string]string{
		scope[1:] + "/memory.events": "oom_kill 4\n",
		"sys/fs/cgroup/not-a-dir":    "",
	})
	tests := []struct {
		name, path string
		notPresent bool
		wantErr    string
	}{
		{name: "present", path: scope},
		{name: "missing (Nomad cgroups off)", path: "/sys/fs/cgroup/nomad.slice/" + taskName + ".scope", notPresent: true},
		{name: "empty", path: "", notPresent: true},
		{name: "relative", path: "sys/fs/cgroup/x", notPresent: true},
		{name: "unclean", path: "/sys/fs/cgroup/nomad.slice/../../../etc", notPresent: true},
		{name: "outside the hierarchy", path: "/etc", notPresent: true},
		{name: "the root itself", path: "/sys/fs/cgroup", notPresent: true},
		{name: "a file", path: "/sys/fs/cgroup/not-a-dir", wantErr: "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := h.Join(NomadTask{CpusetCgroup: tt.path, AllocID: alloc, Task: task})
			switch {
			case tt.notPresent:
				if !errors.Is(err, ErrNotPresent) {
					t.Fatalf("Join error = %v, want ErrNotPresent", err)
				}
			case tt.wantErr != "":
				if err == nil || errors.Is(err, ErrNotPresent) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Join error = %v, want one containing %q", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatalf("Join: %v", err)
				}
				if dir, ok := g.Dir(""); !ok || dir != filepath.Join(root, scope) {
					t.Errorf("Dir(\"\") = %q, %v; want %q", dir, ok, filepath.Join(root, scope))
				}
				if s := g.State(); s.OOMBaseline != 4 || len(s.Created) != 0 || s.Mode != ModeV2 {
					t.Errorf("State() = %+v, want mode v2, baseline 4 and nothing created", s)
				}
			}
		})
	}
}

func TestJoinV1(t *testing.T) {
	share := "/sys/fs/cgroup/cpuset/nomad/share"
	h, root := fakeHost(t, "hybrid", map[string]string{
		share[1:] + "/": "",
		"sys/fs/cgroup/freezer/nomad/" + taskName + "/":                  "",
		"sys/fs/cgroup/cpu/nomad/" + taskName + "/":                      "",
		"sys/fs/cgroup/memory/nomad/" + taskName + "/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
	})
	g, err := h.Join(NomadTask{CpusetCgroup: share, AllocID: alloc, Task: task})
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	want := map[string]string{
		"cpuset":  filepath.Join(root, share),
		"freezer": filepath.Join(root, "sys/fs/cgroup/freezer/nomad", taskName),
		"cpu":     filepath.Join(root, "sys/fs/cgroup/cpu/nomad", taskName),
		"cpuacct": filepath.Join(root, "sys/fs/cgroup/cpuacct/nomad", taskName),
		"memory":  filepath.Join(root, "sys/fs/cgroup/memory/nomad", taskName),
		"pids":    filepath.Join(root, "sys/fs/cgroup/pids/nomad", taskName),
	}
	for c, w := range want {
		if d, ok := g.Dir(c); !ok || d != w {
			t.Errorf("Dir(%q) = %q, %v; want %q", c, d, ok, w)
		}
	}
	if _, ok := g.Dir("devices"); ok {
		t.Error("Dir(\"devices\") is set; the group does not use devices")
	}
	s := g.State()
	if wantCreated := []string{want["cpuacct"], want["pids"]}; !slices.Equal(s.Created, wantCreated) {
		t.Errorf("Created = %v, want the missing directories %v", s.Created, wantCreated)
	}
	if s.OOMBaseline != 2 {
		t.Errorf("OOMBaseline = %d, want 2", s.OOMBaseline)
	}
	if g.ownsCpuset() {
		t.Error("ownsCpuset() = true for Nomad's shared pool")
	}
	if err := g.Remove(); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	for c, d := range want {
		_, err := os.Stat(d)
		if gone := errors.Is(err, os.ErrNotExist); gone != slices.Contains(s.Created, d) {
			t.Errorf("after Remove, %s directory %s: stat error %v", c, d, err)
		}
	}
}

func TestJoinV1NotPresent(t *testing.T) {
	h, _ := fakeHost(t, "hybrid", map[string]string{})
	_, err := h.Join(NomadTask{CpusetCgroup: "/sys/fs/cgroup/cpuset/nomad/share", AllocID: alloc, Task: task})
	if !errors.Is(err, ErrNotPresent) {
		t.Fatalf("Join error = %v, want ErrNotPresent", err)
	}
	none, _ := fakeHost(t, "none", map[string]string{})
	if _, err := none.Join(NomadTask{CpusetCgroup: "/sys/fs/cgroup/nomad.slice/x.scope"}); !errors.Is(err, ErrNotPresent) {
		t.Fatalf("Join on a host without cgroups: error = %v, want ErrNotPresent", err)
	}
}

func TestJoinV1BadNames(t *testing.T) {
	share := "/sys/fs/cgroup/cpuset/nomad/share"
	h, _ := fakeHost(t, "hybrid", map[string]string{share[1:] + "/": ""})
	tests := []struct {
		t    NomadTask
		want string
	}{
		{NomadTask{CpusetCgroup: share, AllocID: "", Task: task}, "alloc id"},
		{NomadTask{CpusetCgroup: share, AllocID: alloc, Task: "../x"}, "task name"},
		{NomadTask{CpusetCgroup: share, AllocID: alloc, Task: task, Parent: "/a/../b"}, "cgroup_parent"},
	}
	for _, tt := range tests {
		_, err := h.Join(tt.t)
		if err == nil || errors.Is(err, ErrNotPresent) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Join(%+v) error = %v, want one naming %q", tt.t, err, tt.want)
		}
	}
}

func TestV1TaskDir(t *testing.T) {
	tests := []struct {
		parent, alloc, task string
		want                string
		wantErr             string
	}{
		{"", alloc, task, "nomad/" + taskName, ""},
		{"/nomad", alloc, task, "nomad/" + taskName, ""},
		{"custom/parent/", alloc, task, "custom/parent/" + taskName, ""},
		{"/", alloc, task, taskName, ""},
		{"/a//b", alloc, task, "", "cgroup_parent"},
		{"..", alloc, task, "", "cgroup_parent"},
		{"", "a/b", task, "", "alloc id"},
		{"", alloc, "", "", "task name"},
		{"", alloc, ".", "", "task name"},
	}
	for _, tt := range tests {
		got, err := V1TaskDir(tt.parent, tt.alloc, tt.task)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("V1TaskDir(%q, %q, %q) error = %v, want one naming %q", tt.parent, tt.alloc, tt.task, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("V1TaskDir(%q, %q, %q) = %q, %v; want %q", tt.parent, tt.alloc, tt.task, got, err, tt.want)
		}
	}
}
