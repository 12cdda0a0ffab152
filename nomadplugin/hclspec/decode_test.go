package hclspec

import (
	"bytes"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// The agent's bytes decode into the mock driver's config.
func TestDecodeAgentTaskConfig(t *testing.T) {
	var cfg mockTaskConfig
	if err := mockTaskSchema.Decode(agentTaskConfig(t), &cfg); err != nil {
		t.Fatal(err)
	}
	want := mockTaskConfig{RunFor: "10m", StdoutString: "svc\n", ExecCommand: &mockCommandConfig{
		RunFor: "10ms", ExitCode: 3, StdoutString: "exec out\n"}}
	if cfg != (mockTaskConfig{RunFor: cfg.RunFor, StdoutString: cfg.StdoutString, ExecCommand: cfg.ExecCommand}) ||
		cfg.RunFor != want.RunFor || cfg.StdoutString != want.StdoutString || cfg.ExecCommand == nil || *cfg.ExecCommand != *want.ExecCommand {
		t.Fatalf("decoded %+v (exec_command %+v), want %+v (exec_command %+v)", cfg, cfg.ExecCommand, want, want.ExecCommand)
	}
}

// Encoding the job's HCL body reproduces the agent's bytes exactly.
func TestEncodeHCLMatchesAgent(t *testing.T) {
	body := `
run_for       = "10m"
stdout_string = "svc\n"
exec_command {
  run_for       = "10ms"
  exit_code     = 3
  stdout_string = "exec out\n"
}
`
	got, err := EncodeHCL(mockTaskSchema, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := agentTaskConfig(t); !bytes.Equal(got, want) {
		t.Fatalf("encoded\n%x\nagent sent\n%x", got, want)
	}
}

// An empty plugin config block yields the bytes the agent sent to the mock
// driver (defaults applied, unset attributes nil).
func TestEncodeHCLDefaults(t *testing.T) {
	got, err := EncodeHCL(mockPluginSchema, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("\x83\xacfs_isolation\xa4none\xb7shutdown_periodic_after\xc2\xbashutdown_periodic_duration\xc0")
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded %q, want %q", got, want)
	}
}

func TestEncodeHCLVariablesAndFunctions(t *testing.T) {
	schema := Object{"args": Attr{Type: "list(string)"}}
	vars := map[string]cty.Value{"NOMAD_TASK_DIR": cty.StringVal("/alloc/t/local")}
	raw, err := EncodeHCL(schema, `args = ["dir=${NOMAD_TASK_DIR}", upper("x")]`, vars)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Args []string `cty:"args"`
	}
	if err := schema.Decode(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Args, " ") != "dir=/alloc/t/local X" {
		t.Fatalf("args = %q", cfg.Args)
	}
}

type portConfig struct {
	To   int    `cty:"to"`
	Host string `cty:"host"`
}

type mountConfig struct {
	Source   string `cty:"source"`
	ReadOnly bool   `cty:"readonly"`
}

type richConfig struct {
	Command string                `cty:"command"`
	Args    []string              `cty:"args"`
	Labels  map[string]string     `cty:"labels"`
	Env     map[string]string     `cty:"env"`
	Mounts  []mountConfig         `cty:"mount"`
	Ports   map[string]portConfig `cty:"port"`
	Promise string                `cty:"promises"`
	Limits  *struct {
		N int `cty:"n"`
	} `cty:"limits"`
}

var richSchema = Object{
	"command":  Attr{Required: true},
	"args":     Attr{Type: "list(string)", Default: "[]"},
	"labels":   Attr{Type: "map(string)"},
	"env":      BlockAttrs{},
	"mount":    BlockList{Body: Object{"source": Attr{Required: true}, "readonly": Attr{Type: "bool", Default: "true"}}},
	"port":     BlockMap{Labels: []string{"label"}, Body: Object{"to": Attr{Type: "number"}, "host": Attr{}}},
	"promises": Attr{Default: `"stdio rpath"`},
	"limits":   Block{Body: Object{"n": Attr{Type: "number"}}},
}

func TestDecodeNestedBlocks(t *testing.T) {
	body := `
command = "/bin/echo"
labels = { a = "b" }
env { FOO = "bar" }
mount { source = "/data" }
mount {
  source   = "/etc"
  readonly = false
}
port "http" { to = 8080 }
`
	raw, err := EncodeHCL(richSchema, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	var cfg richConfig
	if err := richSchema.Decode(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	switch {
	case cfg.Command != "/bin/echo", len(cfg.Args) != 0, cfg.Labels["a"] != "b", cfg.Env["FOO"] != "bar":
		t.Fatalf("attributes: %+v", cfg)
	case len(cfg.Mounts) != 2 || cfg.Mounts[0] != (mountConfig{"/data", true}) || cfg.Mounts[1] != (mountConfig{"/etc", false}):
		t.Fatalf("mounts: %+v", cfg.Mounts)
	case cfg.Ports["http"] != (portConfig{To: 8080}):
		t.Fatalf("ports: %+v", cfg.Ports)
	case cfg.Promise != "stdio rpath", cfg.Limits != nil:
		t.Fatalf("defaults: %+v", cfg)
	}
}

// Empty bytes (no config block) decode like an empty body.
func TestDecodeEmpty(t *testing.T) {
	var cfg struct {
		FS       string  `cty:"fs_isolation"`
		Shutdown bool    `cty:"shutdown_periodic_after"`
		Duration float64 `cty:"shutdown_periodic_duration"`
	}
	if err := mockPluginSchema.Decode(nil, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.FS != "none" || cfg.Shutdown || cfg.Duration != 0 {
		t.Fatalf("decoded %+v", cfg)
	}
	if err := richSchema.Decode(nil, &richConfig{}); err == nil || !strings.Contains(err.Error(), `"command" is required`) {
		t.Fatalf("missing required attribute: err = %v", err)
	}
}

func TestDecodeErrorsNameField(t *testing.T) {
	tests := []struct {
		name   string
		schema Object
		raw    []byte
		out    any
		want   string
	}{
		{"wrong type", mockTaskSchema, patchAgentConfig(t, "\xa9exit_code\x03", "\xa9exit_code\xa1x"), &mockTaskConfig{}, "field exec_command.exit_code"},
		{"unknown value", mockTaskSchema, patchAgentConfig(t, "\xa9exit_code\x03", "\xa9exit_code\xd4\x00\x00"), &mockTaskConfig{}, "unknown values"},
		{"truncated", mockTaskSchema, agentTaskConfig(t)[:100], &mockTaskConfig{}, "msgpack"},
		{"not a map", richSchema, []byte("\x01"), &richConfig{}, "msgpack"},
		{"null", richSchema, []byte("\xc0"), &richConfig{}, "config is null"},
		{"go type mismatch", richSchema, mustEncode(t, richSchema, `command = "x"
mount { source = "/d" }`), &struct {
			Command string            `cty:"command"`
			Args    []string          `cty:"args"`
			Labels  map[string]string `cty:"labels"`
			Env     map[string]string `cty:"env"`
			Mounts  []struct {
				Source   int  `cty:"source"`
				ReadOnly bool `cty:"readonly"`
			} `cty:"mount"`
			Ports   map[string]portConfig `cty:"port"`
			Promise string                `cty:"promises"`
			Limits  *struct {
				N int `cty:"n"`
			} `cty:"limits"`
		}{}, "field mount[0].source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.schema.Decode(tt.raw, tt.out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

// patchAgentConfig replaces old by new in the agent's mock config bytes.
func patchAgentConfig(t *testing.T, old, new string) []byte {
	t.Helper()
	raw := agentTaskConfig(t)
	if bytes.Count(raw, []byte(old)) != 1 {
		t.Fatalf("%q does not occur exactly once in the agent's config", old)
	}
	return bytes.Replace(raw, []byte(old), []byte(new), 1)
}

func mustEncode(t *testing.T, o Object, body string) []byte {
	t.Helper()
	raw, err := EncodeHCL(o, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestEncodeHCLErrors(t *testing.T) {
	tests := []struct {
		name   string
		schema Object
		body   string
		want   string
	}{
		{"missing required", richSchema, ``, `"command" is required`},
		{"unknown attribute", richSchema, `command = "x"
bogus = 1`, "bogus"},
		{"wrong type", richSchema, `command = "x"
args = 3`, "args"},
		{"syntax", richSchema, `command = `, "parse config"},
		{"no schema", nil, `x = 1`, "no configuration schema"},
		{"bad type expression", Object{"a": Attr{Type: "strnig"}}, `a = 1`, `attribute "a": type "strnig"`},
		{"bad default", Object{"a": Attr{Default: "none"}}, ``, `literal "none"`},
		{"block map without label", Object{"p": BlockMap{Body: Object{}}}, ``, `block_map "p" needs at least one label`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EncodeHCL(tt.schema, tt.body, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want mention of %q", err, tt.want)
			}
		})
	}
}
