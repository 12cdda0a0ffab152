package driver

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
)

func TestDriverStateRoundTrip(t *testing.T) {
	in := driverState{
		Spec: taskSpec{
			Command:    "python3",
			Args:       []string{"-m", "http.server"},
			Promises:   promises.Stdio | promises.Rpath | promises.Inet,
			Unveils:    []sandbox.Unveil{{Perm: sandbox.PermRead, Path: "/etc/mime.types"}},
			Importance: importanceLow,
			Penalty:    promises.PenaltyKill,
			HostIPC:    true,
			WorkDir:    "/alloc/t/local",
			Caps:       1 << 10,
			Rlimits:    []rlimitSetting{{Resource: 7, Value: 256}},
		},
		User:          identity{Name: "nobody", UID: 65534, GID: 65534, Groups: []int{100}},
		InitPID:       4242,
		InitStartTime: 987654,
		StatusPath:    "/run/nomad-pledge-driver/abc.status",
		Cgroup: &cgroup.State{
			Mode:        cgroup.ModeV1,
			Controllers: map[string]string{"cpu": "/sys/fs/cgroup/cpu/nomad/a.t", "memory": "/sys/fs/cgroup/memory/nomad/a.t"},
			Created:     []string{"/sys/fs/cgroup/pids/nomad/a.t"},
			OOMBaseline: 3,
		},
		OwnCgroup:  true,
		StartedAt:  time.Date(2026, 11, 27, 20, 0, 0, 123, time.UTC),
		Rootless:   true,
		ListenerFD: 3,
		Filter:     "pledge-filter-v1:0:1:2:1:0:0",
	}
	b, err := in.encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeDriverState(handleVersion, b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, *out) {
		t.Errorf("round trip changed the state:\n in  %+v\n out %+v", in, *out)
	}
}

func TestDecodeDriverStateRejects(t *testing.T) {
	good, err := (&driverState{InitPID: 1, InitStartTime: 2, StatusPath: "/s"}).encode()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		version int
		data    string
		want    string
	}{
		{0, string(good), "driver_state version 0"},
		{2, string(good), "driver_state version 2"},
		{handleVersion, "", "driver_state is empty"},
		{handleVersion, "{not json", "driver_state:"},
		{handleVersion, `{"init_pid":0,"init_start_time":2,"status_path":"/s"}`, "all are required"},
		{handleVersion, `{"init_pid":5,"init_start_time":0,"status_path":"/s"}`, "all are required"},
		{handleVersion, `{"init_pid":5,"init_start_time":2}`, "all are required"},
		{handleVersion, `{"init_pid":5,"init_start_time":2,"status_path":"/s","spec":{"importance":10}}`, "importance 10 is outside"},
		{handleVersion, `{"init_pid":5,"init_start_time":2,"status_path":"/s","spec":{"penalty":2}}`, "penalty 2"},
		{handleVersion, `{"init_pid":5,"init_start_time":2,"status_path":"/s","listener_fd":-1}`, "listener_fd -1 is negative"},
		{handleVersion, `{"init_pid":5,"init_start_time":2,"status_path":"/s","filter":"pledge-filter-v1:0:1:2:1:0:0"}`, "filter is set without listener_fd"},
		{handleVersion, `{"init_pid":5,"init_start_time":2,"status_path":"/s","listener_fd":3}`, "filter of listener_fd 3"},
		{handleVersion, `{"init_pid":5,"init_start_time":2,"status_path":"/s","listener_fd":3,"filter":"pledge-filter-v1:7:1:2:1:0:0"}`, "unknown architecture 7"},
	}
	for _, tt := range tests {
		_, err := decodeDriverState(tt.version, []byte(tt.data))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("decode(v%d, %q) = %v, want error containing %q", tt.version, tt.data, err, tt.want)
		}
	}
}
