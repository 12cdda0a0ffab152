package driver

import (
	"strings"
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/hclspec"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"golang.org/x/sys/unix"
)

// encodePlugin encodes a plugin config body as the agent does.
func encodePlugin(t *testing.T, body string) []byte {
	t.Helper()
	raw, err := hclspec.EncodeHCL(pluginConfigSchema, body, nil)
	if err != nil {
		t.Fatalf("encode %q: %v", body, err)
	}
	return raw
}

func decodePlugin(t *testing.T, body string) (*operatorPolicy, error) {
	t.Helper()
	raw := encodePlugin(t, body)
	var c PluginConfig
	if err := pluginConfigSchema.Decode(raw, &c); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return parsePluginConfig(&c)
}

func TestPluginConfigDefaults(t *testing.T) {
	op, err := decodePlugin(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if op.DefaultUser != "nobody" || !op.RequireLandlock || op.Promises != promises.All() ||
		op.UnveilPrefixes != nil || op.Caps != 1<<unix.CAP_NET_BIND_SERVICE || len(op.Warnings) != 0 {
		t.Errorf("defaults = %+v", op)
	}
}

func TestPluginConfigEveryField(t *testing.T) {
	op, err := decodePlugin(t, `
pledge_executable = "/opt/bin/pledge-1.8.com"
default_user      = "root"
allowed_promises  = "stdio rpath"
allowed_unveil    = ["/etc/", "/var/lib/nomad"]
allowed_caps      = ["CAP_NET_RAW", "net_bind_service"]
require_landlock  = false
`)
	if err != nil {
		t.Fatal(err)
	}
	if op.DefaultUser != "root" || op.RequireLandlock || op.Promises != promises.Stdio|promises.Rpath ||
		strings.Join(op.UnveilPrefixes, ",") != "/etc,/var/lib/nomad" ||
		op.Caps != 1<<unix.CAP_NET_RAW|1<<unix.CAP_NET_BIND_SERVICE {
		t.Errorf("parsed = %+v", op)
	}
	if len(op.Warnings) != 1 || !strings.Contains(op.Warnings[0], "pledge_executable") {
		t.Errorf("warnings = %q, want one about pledge_executable", op.Warnings)
	}
}

func TestPluginConfigRejects(t *testing.T) {
	tests := []struct{ body, want string }{
		{`allowed_promises = "stdio nope"`, `allowed_promises: promises: unknown promise "nope"`},
		{`allowed_unveil = ["etc"]`, `allowed_unveil "etc": prefixes must be absolute`},
		{`allowed_caps = ["superpower"]`, `allowed_caps: unknown capability "superpower"`},
	}
	for _, tt := range tests {
		_, err := decodePlugin(t, tt.body)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want one containing %q", tt.body, err, tt.want)
		}
	}
}
