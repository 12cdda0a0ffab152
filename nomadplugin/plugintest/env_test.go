package plugintest

import (
	"testing"

	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

func TestTaskEnv(t *testing.T) {
	t.Setenv("VAULT_TOKEN", "secret")
	t.Setenv("PLUGINTEST_HOST_VAR", "host")
	opts := TaskOptions{Name: "web", Meta: map[string]string{"color": "blue"}, Env: map[string]string{"NOMAD_DC": "override"}}
	setTaskDefaults(&opts)
	tests := []struct {
		iso            driverpb.DriverCapabilities_FSIsolation
		taskDir        string
		hostVarVisible bool
	}{
		{driverpb.DriverCapabilities_NONE, "/a/web/local", true},
		{driverpb.DriverCapabilities_UNVEIL, "/a/web/local", true},
		{driverpb.DriverCapabilities_CHROOT, "/local", true},
		{driverpb.DriverCapabilities_IMAGE, "/local", false},
	}
	for _, tt := range tests {
		env := taskEnv(&opts, "/a", tt.iso)
		if env["NOMAD_TASK_DIR"] != tt.taskDir {
			t.Errorf("%v: NOMAD_TASK_DIR = %q, want %q", tt.iso, env["NOMAD_TASK_DIR"], tt.taskDir)
		}
		if _, ok := env["PLUGINTEST_HOST_VAR"]; ok != tt.hostVarVisible {
			t.Errorf("%v: host variable visible = %t, want %t", tt.iso, ok, tt.hostVarVisible)
		}
		if _, ok := env["VAULT_TOKEN"]; ok {
			t.Errorf("%v: denylisted VAULT_TOKEN leaked into the task env", tt.iso)
		}
		if env["NOMAD_META_color"] != "blue" || env["NOMAD_META_COLOR"] != "blue" || env["NOMAD_DC"] != "override" ||
			env["NOMAD_ALLOC_ID"] != opts.AllocID || env["NOMAD_SHORT_ALLOC_ID"] != opts.AllocID[:8] {
			t.Errorf("%v: env %v lacks meta, task env override or alloc ids", tt.iso, env)
		}
	}
}
