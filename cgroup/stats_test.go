package cgroup

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fixtureGroup reopens a copy of testdata/groups/<name> as a group.
func fixtureGroup(t *testing.T, name string, mode Mode) (*Group, string) {
	t.Helper()
	dir := copyGroup(t, name)
	s := State{Mode: mode}
	if mode == ModeV2 {
		s.Unified = dir
	} else {
		s.Controllers = map[string]string{}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			s.Controllers[e.Name()] = filepath.Join(dir, e.Name())
		}
	}
	g, err := Reopen(s)
	if err != nil {
		t.Fatal(err)
	}
	return g, dir
}

func TestStats(t *testing.T) {
	tests := []struct {
		group string
		mode  Mode
		want  Stats
	}{
		{"v2", ModeV2, Stats{
			CPU: CPUStats{
				UserNanos: 6200117000, SystemNanos: 2114406000, TotalNanos: 8314523000,
				ThrottledPeriods: 37, ThrottledNanos: 1830012000,
				Measured: []string{"System Mode", "User Mode", "Throttled Periods", "Throttled Time"},
			},
			Memory: MemoryStats{
				RSS: 21434368, Cache: 4096000, Swap: 1048576, Usage: 26738688, MaxUsage: 33554432,
				Measured: []string{"RSS", "Cache", "Swap", "Usage", "Max Usage"},
			},
		}},
		{"v1", ModeV1, Stats{
			CPU: CPUStats{
				UserNanos: 5120004400, SystemNanos: 1312194365, TotalNanos: 6432198765,
				ThrottledPeriods: 11, ThrottledNanos: 905311872,
				Measured: []string{"User Mode", "System Mode", "Throttled Periods", "Throttled Time"},
			},
			Memory: MemoryStats{
				RSS: 16777216, Cache: 8388608, Swap: 2097152, Usage: 25165824, MaxUsage: 41943040,
				Measured: []string{"RSS", "Cache", "Usage", "Swap", "Max Usage"},
			},
		}},
		{"v1-old", ModeV1, Stats{
			CPU: CPUStats{
				UserNanos: 2500000000, SystemNanos: 750000000, TotalNanos: 3300000000,
				Measured: []string{"System Mode", "User Mode"},
			},
			Memory: MemoryStats{
				RSS: 8192, Cache: 4096, Usage: 12288, MaxUsage: 65536,
				Measured: []string{"RSS", "Cache", "Usage", "Max Usage"},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			g, _ := fixtureGroup(t, tt.group, tt.mode)
			got, err := g.Stats()
			if err != nil {
				t.Fatalf("Stats: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Stats() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestStatsMalformed(t *testing.T) {
	g, dir := fixtureGroup(t, "v2", ModeV2)
	if err := os.WriteFile(filepath.Join(dir, "memory.current"), []byte("lots\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Stats(); err == nil || !strings.Contains(err.Error(), "memory.current") {
		t.Fatalf("Stats() = %v, want an error naming memory.current", err)
	}
}

func TestOOMKilled(t *testing.T) {
	tests := []struct {
		group, file string
		mode        Mode
		before      uint64
		after       string
	}{
		{"v2", "memory.events", ModeV2, 2, "max 20\noom 3\noom_kill 3\n"},
		{"v2", "memory.events.local", ModeV2, 2, "oom_kill 5\n"},
		{"v1", "memory/memory.oom_control", ModeV1, 1, "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"},
		{"v1-old", "memory/memory.failcnt", ModeV1, 3, "4\n"},
	}
	for _, tt := range tests {
		t.Run(tt.group+"/"+tt.file, func(t *testing.T) {
			g, dir := fixtureGroup(t, tt.group, tt.mode)
			n, err := g.oomKills()
			if err != nil || n != tt.before {
				t.Fatalf("oomKills() = %d, %v; want %d", n, err, tt.before)
			}
			g.oomBase = n
			if killed, err := g.OOMKilled(); err != nil || killed {
				t.Fatalf("OOMKilled() before = %v, %v; want false", killed, err)
			}
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.after), 0o644); err != nil {
				t.Fatal(err)
			}
			if killed, err := g.OOMKilled(); err != nil || !killed {
				t.Fatalf("OOMKilled() after = %v, %v; want true", killed, err)
			}
		})
	}
}

func TestPids(t *testing.T) {
	v2, _ := fixtureGroup(t, "v2", ModeV2)
	v1, _ := fixtureGroup(t, "v1", ModeV1)
	for _, tt := range []struct {
		g    *Group
		want []int
	}{{v2, []int{412, 415}}, {v1, []int{512, 513}}} {
		got, err := tt.g.Pids()
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Pids() = %v, %v; want %v", got, err, tt.want)
		}
	}
}

func TestParsePids(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"", nil, false},
		{"1\n22\n333\n", []int{1, 22, 333}, false},
		{"0\n", nil, true},
		{"-4\n", nil, true},
		{"12a\n", nil, true},
	}
	for _, tt := range tests {
		got, err := parsePids(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("parsePids(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseKeyed(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]uint64
		wantErr bool
	}{
		{"", map[string]uint64{}, false},
		{"a 1\nb  2\n\n", map[string]uint64{"a": 1, "b": 2}, false},
		{"a\n", nil, true},
		{"a -1\n", nil, true},
		{"a 1 2\n", nil, true},
		{" 1\n", nil, true},
	}
	for _, tt := range tests {
		got, err := parseKeyed(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("parseKeyed(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	g, _ := fixtureGroup(t, "v1", ModeV1)
	g.oomBase = 7
	g.created = []string{g.dirs["cpu"]}
	b, err := json.Marshal(g.State())
	if err != nil {
		t.Fatal(err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	back, err := Reopen(s)
	if err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	if !reflect.DeepEqual(back.State(), g.State()) {
		t.Errorf("reopened State() = %+v, want %+v", back.State(), g.State())
	}
}

func TestReopenErrors(t *testing.T) {
	tests := []struct {
		name string
		s    State
		want string
	}{
		{"no mode", State{}, "mode"},
		{"v2 without dir", State{Mode: ModeV2}, "no unified directory"},
		{"v1 without dirs", State{Mode: ModeV1}, "no controller directories"},
		{"unknown controller", State{Mode: ModeV1, Controllers: map[string]string{"devices": "/"}}, "devices"},
		{"removed group", State{Mode: ModeV2, Unified: "/nonexistent/group"}, "no such file"},
	}
	for _, tt := range tests {
		if _, err := Reopen(tt.s); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Reopen = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// TestGoneGroup checks that a group whose directories were removed (by
// Nomad, or by an earlier Destroy) is empty, killable and removable.
func TestGoneGroup(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	g, err := Reopen(State{Mode: ModeV2, Unified: dir, Created: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if pids, err := g.Pids(); err != nil || len(pids) != 0 {
		t.Errorf("Pids() = %v, %v; want none", pids, err)
	}
	if err := g.Kill(context.Background()); err != nil {
		t.Errorf("Kill() = %v, want nil", err)
	}
	if err := g.Remove(); err != nil {
		t.Errorf("Remove() = %v, want nil", err)
	}
}

func TestOpenDirV1(t *testing.T) {
	g, _ := fixtureGroup(t, "v1", ModeV1)
	if _, err := g.OpenDir(); err == nil || !strings.Contains(err.Error(), "AddProc") {
		t.Fatalf("OpenDir() on v1 = %v, want an error pointing to AddProc", err)
	}
}
