package driver

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/hclspec"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
)

// PluginConfig is the agent's `plugin "nomad-pledge-driver" { config {} }`
// body.
type PluginConfig struct {
	// PledgeExecutable was the path of pledge.com for the old driver. The
	// sandbox is built in now; the field is accepted so existing agent
	// configs keep loading, and ignored with a warning.
	PledgeExecutable string `cty:"pledge_executable"`
	// DefaultUser runs tasks that set no `user` (root agents only).
	DefaultUser string `cty:"default_user"`
	// AllowedPromises bounds the promises any job may ask for; empty allows
	// every promise.
	AllowedPromises string `cty:"allowed_promises"`
	// AllowedUnveil lists path prefixes job unveils must stay under; empty
	// allows any path.
	AllowedUnveil []string `cty:"allowed_unveil"`
	// AllowedCaps bounds the capabilities jobs may keep with cap_add.
	AllowedCaps []string `cty:"allowed_caps"`
	// RequireLandlock makes the driver unhealthy on kernels without
	// Landlock instead of running tasks whose unveils would do nothing.
	RequireLandlock bool `cty:"require_landlock"`
}

// pluginConfigSchema is the plugin `config {}` schema sent to the agent.
// allowed_caps defaults to what Nomad's exec driver allows of the few that
// matter for a sandboxed server: binding ports below 1024.
var pluginConfigSchema = hclspec.Object{
	"pledge_executable": hclspec.Attr{Type: "string"},
	"default_user":      hclspec.Attr{Type: "string", Default: `"nobody"`},
	"allowed_promises":  hclspec.Attr{Type: "string"},
	"allowed_unveil":    hclspec.Attr{Type: "list(string)"},
	"allowed_caps":      hclspec.Attr{Type: "list(string)", Default: `["net_bind_service"]`},
	"require_landlock":  hclspec.Attr{Type: "bool", Default: "true"},
}

// operatorPolicy is the validated plugin config: limits no job may exceed.
type operatorPolicy struct {
	DefaultUser     string
	Promises        promises.Set
	UnveilPrefixes  []string
	Caps            uint64
	RequireLandlock bool
	// Warnings are shown to the operator once, in the log.
	Warnings []string
}

// parsePluginConfig validates the plugin config; errors name the field.
func parsePluginConfig(c *PluginConfig) (*operatorPolicy, error) {
	op := &operatorPolicy{DefaultUser: c.DefaultUser, RequireLandlock: c.RequireLandlock, Promises: promises.All()}
	if op.DefaultUser == "" {
		op.DefaultUser = "nobody"
	}
	if c.PledgeExecutable != "" {
		op.Warnings = append(op.Warnings, fmt.Sprintf("pledge_executable = %q is ignored: the sandbox is built into the driver; remove the setting", c.PledgeExecutable))
	}
	if strings.TrimSpace(c.AllowedPromises) != "" {
		set, err := promises.Parse(c.AllowedPromises)
		if err != nil {
			return nil, fmt.Errorf("plugin config allowed_promises: %w", err)
		}
		op.Promises = set
	}
	for _, p := range c.AllowedUnveil {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("plugin config allowed_unveil %q: prefixes must be absolute paths", p)
		}
		op.UnveilPrefixes = append(op.UnveilPrefixes, filepath.Clean(p))
	}
	for _, name := range c.AllowedCaps {
		n, err := sandbox.ParseCapability(name)
		if err != nil {
			return nil, fmt.Errorf("plugin config allowed_caps: %w", err)
		}
		op.Caps |= 1 << n
	}
	return op, nil
}
