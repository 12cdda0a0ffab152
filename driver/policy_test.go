package driver

import (
	"reflect"
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
	"golang.org/x/sys/unix"
)

// TestSandboxPolicy composes a job config, checked against an operator
// policy, into the policy the shim applies.
func TestSandboxPolicy(t *testing.T) {
	op, err := decodePlugin(t, `
allowed_promises = "stdio rpath inet dns"
allowed_unveil   = ["/etc", "/alloc"]
allowed_caps     = ["net_bind_service"]
`)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := parseTaskConfig(decodeTask(t, `
command  = "server"
args     = ["--port", "80"]
promises = "stdio inet"
unveil   = ["r:/etc/mime.types", "rwc:/alloc/data"]
penalty  = "kill"
cap_add  = ["net_bind_service"]
rlimits {
  nofile = 64
}`), op, "/alloc/task")
	if err != nil {
		t.Fatal(err)
	}
	user := identity{Name: "nobody", UID: 65534, GID: 65533, Groups: []int{7, 8}}
	tests := []struct {
		name     string
		asRoot   bool
		notifyFD int
		want     sandbox.Policy
	}{
		{"root with supervisor", true, 4, sandbox.Policy{
			Promises: promises.Stdio | promises.Inet, Penalty: promises.PenaltyKill, Report: true, NotifyFD: 4,
			Unveils:    []sandbox.Unveil{{Perm: sandbox.PermRead, Path: "/etc/mime.types"}, {Perm: sandbox.PermRead | sandbox.PermWrite | sandbox.PermCreate, Path: "/alloc/data"}},
			AutoUnveil: true,
			Rlimits:    []sandbox.Rlimit{{Resource: unix.RLIMIT_NOFILE, Cur: 64, Max: 64}},
			UID:        65534, GID: 65533, Groups: []uint32{7, 8},
			AmbientCaps: 1 << unix.CAP_NET_BIND_SERVICE,
			Dir:         "/alloc/task",
		}},
		{"rootless without supervisor keeps ids", false, -1, sandbox.Policy{
			Promises: promises.Stdio | promises.Inet, Penalty: promises.PenaltyKill, NotifyFD: -1,
			Unveils:     []sandbox.Unveil{{Perm: sandbox.PermRead, Path: "/etc/mime.types"}, {Perm: sandbox.PermRead | sandbox.PermWrite | sandbox.PermCreate, Path: "/alloc/data"}},
			AutoUnveil:  true,
			Rlimits:     []sandbox.Rlimit{{Resource: unix.RLIMIT_NOFILE, Cur: 64, Max: 64}},
			AmbientCaps: 1 << unix.CAP_NET_BIND_SERVICE,
			Dir:         "/alloc/task",
		}},
	}
	for _, tt := range tests {
		got := spec.sandboxPolicy(user, tt.asRoot, tt.notifyFD)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tt.name, got, tt.want)
		}
		enc := sandbox.Spec{Policy: got, Argv: []string{"server"}}
		b, err := enc.MarshalBinary()
		if err != nil {
			t.Fatalf("%s: encode: %v", tt.name, err)
		}
		var dec sandbox.Spec
		if err := dec.UnmarshalBinary(b); err != nil {
			t.Fatalf("%s: the shim cannot decode the spec: %v", tt.name, err)
		}
	}
}

func TestEnviron(t *testing.T) {
	got := environ(map[string]string{"B": "2", "A": "1=x", "NOMAD_TASK_DIR": "/t"})
	want := []string{"A=1=x", "B=2", "NOMAD_TASK_DIR=/t"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("environ = %q, want %q", got, want)
	}
}
