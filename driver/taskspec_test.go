package driver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/hclspec"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
	"golang.org/x/sys/unix"
)

// decodeTask runs an HCL config body through the real schema the way the
// agent encodes it, then decodes it like StartTask.
func decodeTask(t *testing.T, body string) *TaskConfig {
	t.Helper()
	raw, err := hclspec.EncodeHCL(taskConfigSchema, body, nil)
	if err != nil {
		t.Fatalf("encode %q: %v", body, err)
	}
	var c TaskConfig
	if err := taskConfigSchema.Decode(raw, &c); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return &c
}

func permissive(t *testing.T) *operatorPolicy {
	t.Helper()
	op, err := parsePluginConfig(&PluginConfig{AllowedCaps: []string{"net_bind_service", "net_raw"}})
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func TestParseTaskConfigDefaults(t *testing.T) {
	s, err := parseTaskConfig(decodeTask(t, `command = "sleep"`), permissive(t), "/alloc/task")
	if err != nil {
		t.Fatal(err)
	}
	if s.Promises != promises.Stdio|promises.Rpath {
		t.Errorf("default promises = %q, want %q", s.Promises, defaultPromises)
	}
	if s.Importance != importanceNormal || s.Penalty != promises.PenaltyEPERM || s.HostPID || s.HostIPC {
		t.Errorf("defaults = %+v", s)
	}
	if s.WorkDir != "/alloc/task" {
		t.Errorf("work dir = %q, want the task dir", s.WorkDir)
	}
	if len(s.Unveils) != 0 || s.Caps != 0 || len(s.Rlimits) != 0 {
		t.Errorf("unexpected extras: %+v", s)
	}
}

func TestParseTaskConfigEveryField(t *testing.T) {
	body := `
command    = "python3"
args       = ["-m", "http.server"]
promises   = "stdio rpath inet"
unveil     = ["r:/etc/mime.types", "rwc:/tmp"]
importance = "highest"
penalty    = "kill"
pid_mode   = "host"
ipc_mode   = "host"
work_dir   = "/tmp"
cap_add    = ["net_bind_service"]
rlimits {
  nofile = 256
  core   = 0
}`
	s, err := parseTaskConfig(decodeTask(t, body), permissive(t), "/alloc/task")
	if err != nil {
		t.Fatal(err)
	}
	want := taskSpec{
		Command:    "python3",
		Args:       []string{"-m", "http.server"},
		Promises:   promises.Stdio | promises.Rpath | promises.Inet,
		Unveils:    []sandbox.Unveil{{Perm: sandbox.PermRead, Path: "/etc/mime.types"}, {Perm: sandbox.PermRead | sandbox.PermWrite | sandbox.PermCreate, Path: "/tmp"}},
		Importance: importanceHighest,
		Penalty:    promises.PenaltyKill,
		HostPID:    true,
		HostIPC:    true,
		WorkDir:    "/tmp",
		Caps:       1 << unix.CAP_NET_BIND_SERVICE,
		Rlimits:    []rlimitSetting{{unix.RLIMIT_CORE, 0}, {unix.RLIMIT_NOFILE, 256}},
	}
	if !specEqual(*s, want) {
		t.Errorf("got  %+v\nwant %+v", *s, want)
	}
}

func specEqual(a, b taskSpec) bool {
	return a.Command == b.Command && strings.Join(a.Args, "\x00") == strings.Join(b.Args, "\x00") &&
		a.Promises == b.Promises && a.Importance == b.Importance && a.Penalty == b.Penalty &&
		a.HostPID == b.HostPID && a.HostIPC == b.HostIPC && a.WorkDir == b.WorkDir && a.Caps == b.Caps &&
		sliceEqual(a.Unveils, b.Unveils) && sliceEqual(a.Rlimits, b.Rlimits)
}

func sliceEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseTaskConfigRejects(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{`command = ""`, "command: required"},
		{`command = "x"
promises = "stdio frobnicate"`, `promises: promises: unknown promise "frobnicate"`},
		{`command = "x"
promises = "stdio execnative"`, `no longer exists`},
		{`command = "x"
unveil = ["q:/etc"]`, `unveil "q:/etc"`},
		{`command = "x"
unveil = ["r:etc"]`, "path must be absolute"},
		{`command = "x"
unveil = ["r:"]`, `unveil "r:"`},
		{`command = "x"
importance = "urgent"`, "importance \"urgent\": accepted values are lowest, low, normal, high, highest"},
		{`command = "x"
penalty = "abort"`, "penalty \"abort\": accepted values are eperm, kill"},
		{`command = "x"
pid_mode = "shared"`, "pid_mode \"shared\": accepted values are private, host"},
		{`command = "x"
ipc_mode = "container"`, "ipc_mode \"container\": accepted values are private, host"},
		{`command = "x"
work_dir = "relative"`, "work_dir \"relative\": must be an absolute path"},
		{`command = "x"
cap_add = ["fly"]`, `cap_add: unknown capability "fly"`},
		{`command = "x"
cap_add = ["sys_admin"]`, "cap_add \"sys_admin\": not allowed by the operator (plugin config allowed_caps = [net_bind_service, net_raw])"},
		{`command = "x"
rlimits {
  files = 3
}`, `rlimits: unknown limit "files"`},
		{`command = "x"
rlimits {
  nproc = -5
}`, "rlimits.nproc = -5"},
	}
	for _, tt := range tests {
		_, err := parseTaskConfig(decodeTask(t, tt.body), permissive(t), "/alloc/task")
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "task config: ") {
			t.Errorf("config %q: err = %v, want one containing %q", tt.body, err, tt.want)
		}
	}
}

func TestOperatorPolicyLimitsJob(t *testing.T) {
	dir := t.TempDir()
	allowed := filepath.Join(dir, "allowed")
	secret := filepath.Join(dir, "secret")
	for _, d := range []string{allowed, secret} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(secret, filepath.Join(allowed, "link")); err != nil {
		t.Fatal(err)
	}
	op, err := parsePluginConfig(&PluginConfig{
		AllowedPromises: "stdio rpath inet",
		AllowedUnveil:   []string{allowed, "/etc/ssl/"},
		AllowedCaps:     []string{"net_bind_service"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		body string
		want string // "" = accepted
	}{
		{`command = "x"`, ""},
		{`command = "x"
promises = "stdio inet"`, ""},
		{`command = "x"
promises = "stdio exec proc"`, `promises: "proc exec" not allowed by the operator (plugin config allowed_promises = "stdio rpath inet")`},
		{`command = "x"
unveil = ["r:` + allowed + `/sub", "r:/etc/ssl"]`, ""},
		{`command = "x"
unveil = ["r:/etc/ssl/certs"]`, ""},
		{`command = "x"
unveil = ["r:/etc/sslx"]`, "outside the operator's allowed_unveil prefixes"},
		{`command = "x"
unveil = ["r:/etc"]`, "outside the operator's allowed_unveil prefixes"},
		{`command = "x"
unveil = ["r:` + allowed + `/../secret"]`, "outside the operator's allowed_unveil prefixes"},
		{`command = "x"
unveil = ["r:` + allowed + `/link"]`, secret + " is outside"},
		{`command = "x"
cap_add = ["net_bind_service"]`, ""},
		{`command = "x"
cap_add = ["CAP_NET_RAW"]`, `cap_add "CAP_NET_RAW": not allowed by the operator (plugin config allowed_caps = [net_bind_service])`},
	}
	for _, tt := range tests {
		_, err := parseTaskConfig(decodeTask(t, tt.body), op, "/alloc/task")
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("config %q rejected: %v", tt.body, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("config %q: err = %v, want one containing %q", tt.body, err, tt.want)
		}
	}
}
