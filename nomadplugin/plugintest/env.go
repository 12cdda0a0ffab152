package plugintest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"

	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// envDenylist is the agent's default env.denylist: host variables never
// copied into a task's environment.
var envDenylist = map[string]bool{
	"CONSUL_TOKEN": true, "CONSUL_HTTP_TOKEN": true, "CONSUL_LICENSE": true,
	"VAULT_TOKEN": true, "NOMAD_LICENSE": true,
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
	"GOOGLE_APPLICATION_CREDENTIALS": true,
}

// taskEnv builds the task environment the client computes: the agent's own
// environment minus the denylist (unless the driver isolates with an
// image), the NOMAD_* variables with paths as the driver's file-system
// isolation dictates, the task's meta and finally its `env` block.
func taskEnv(o *TaskOptions, allocDir string, iso driverpb.DriverCapabilities_FSIsolation) map[string]string {
	env := map[string]string{}
	if iso != driverpb.DriverCapabilities_IMAGE {
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			if !envDenylist[k] {
				env[k] = v
			}
		}
	}
	allocPath, taskPath, secretsPath := filepath.Join(allocDir, "alloc"), filepath.Join(allocDir, o.Name, "local"), filepath.Join(allocDir, o.Name, "secrets")
	if iso == driverpb.DriverCapabilities_CHROOT || iso == driverpb.DriverCapabilities_IMAGE {
		allocPath, taskPath, secretsPath = "/alloc", "/local", "/secrets"
	}
	for k, v := range map[string]string{
		"NOMAD_ALLOC_DIR":      allocPath,
		"NOMAD_TASK_DIR":       taskPath,
		"NOMAD_SECRETS_DIR":    secretsPath,
		"NOMAD_ALLOC_ID":       o.AllocID,
		"NOMAD_SHORT_ALLOC_ID": o.AllocID[:8],
		"NOMAD_ALLOC_INDEX":    "0",
		"NOMAD_ALLOC_NAME":     o.Job + "." + o.Group + "[0]",
		"NOMAD_TASK_NAME":      o.Name,
		"NOMAD_GROUP_NAME":     o.Group,
		"NOMAD_JOB_ID":         o.Job,
		"NOMAD_JOB_NAME":       o.Job,
		"NOMAD_NAMESPACE":      "default",
		"NOMAD_REGION":         "global",
		"NOMAD_DC":             "dc1",
		"NOMAD_CPU_LIMIT":      strconv.Itoa(o.CPU),
		"NOMAD_MEMORY_LIMIT":   strconv.Itoa(o.MemoryMB),
		"NOMAD_PARENT_CGROUP":  "nomad.slice",
	} {
		env[k] = v
	}
	for k, v := range o.Meta {
		env["NOMAD_META_"+k] = v
		env["NOMAD_META_"+strings.ToUpper(k)] = v
	}
	for k, v := range o.Env {
		env[k] = v
	}
	return env
}

// evalVariables are the variables the agent offers when it decodes a task's
// config body: every environment variable by name (${NOMAD_TASK_DIR}), the
// whole environment as env (${env["PATH"]}) and node identity as node.
func evalVariables(env map[string]string, nodeID, nodeName string) map[string]cty.Value {
	vars := map[string]cty.Value{}
	all := map[string]cty.Value{}
	for k, v := range env {
		all[k] = cty.StringVal(v)
		if !strings.Contains(k, ".") {
			vars[k] = cty.StringVal(v)
		}
	}
	vars["env"] = cty.MapVal(all)
	if len(all) == 0 {
		vars["env"] = cty.MapValEmpty(cty.String)
	}
	vars["node"] = cty.ObjectVal(map[string]cty.Value{
		"unique":     cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(nodeID), "name": cty.StringVal(nodeName)}),
		"datacenter": cty.StringVal("dc1"),
		"region":     cty.StringVal("global"),
	})
	return vars
}
