package driver

import (
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/hclspec"
)

// ValidateTaskConfig decodes an agent-encoded task config (msgpack with the
// TaskConfigSchema's type) and validates it against the default plugin
// config, exactly as StartTask does before it creates anything. It lets the
// external tests check job files that cannot run on the test host.
func ValidateTaskConfig(raw []byte, taskDir string) error {
	praw, err := hclspec.EncodeHCL(pluginConfigSchema, "", nil)
	if err != nil {
		return err
	}
	var pc PluginConfig
	if err := pluginConfigSchema.Decode(praw, &pc); err != nil {
		return err
	}
	op, err := parsePluginConfig(&pc)
	if err != nil {
		return err
	}
	var tc TaskConfig
	if err := taskConfigSchema.Decode(raw, &tc); err != nil {
		return err
	}
	_, err = parseTaskConfig(&tc, op, taskDir)
	return err
}
