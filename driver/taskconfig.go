package driver

import (
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/hclspec"
)

// TaskConfig is a task's `config {}` body. The first five fields are those of
// the pledge.com-based driver, with the same meaning, so its job specs run
// unchanged; the others are new and optional.
type TaskConfig struct {
	// Command is the program, a path or a name looked up on $PATH.
	Command string   `cty:"command" json:"command"`
	Args    []string `cty:"args" json:"args,omitempty"`
	// Promises is the pledge promise string; empty means "stdio rpath", as
	// in the old driver.
	Promises string `cty:"promises" json:"promises,omitempty"`
	// Unveil lists "PERM:PATH" rules, PERM ⊆ rwxc.
	Unveil []string `cty:"unveil" json:"unveil,omitempty"`
	// Importance scales the task's CPU weight (lowest … highest).
	Importance string `cty:"importance" json:"importance,omitempty"`
	// Penalty for a denied syscall: "eperm" (default) or "kill" (SIGSYS).
	Penalty string `cty:"penalty" json:"penalty,omitempty"`
	// PIDMode and IPCMode choose a private namespace (default) or the
	// host's.
	PIDMode string `cty:"pid_mode" json:"pid_mode,omitempty"`
	IPCMode string `cty:"ipc_mode" json:"ipc_mode,omitempty"`
	// WorkDir is the program's working directory; default the task dir.
	WorkDir string `cty:"work_dir" json:"work_dir,omitempty"`
	// CapAdd are capabilities the program keeps as ambient capabilities,
	// e.g. net_bind_service for a server on port 80 run as nobody.
	CapAdd []string `cty:"cap_add" json:"cap_add,omitempty"`
	// Rlimits maps setrlimit resource names (nofile, nproc, …) to a value
	// used as soft and hard limit; -1 is unlimited.
	Rlimits map[string]int64 `cty:"rlimits" json:"rlimits,omitempty"`
}

// taskConfigSchema is the task `config {}` schema sent to the agent.
var taskConfigSchema = hclspec.Object{
	"command":    hclspec.Attr{Type: "string", Required: true},
	"args":       hclspec.Attr{Type: "list(string)"},
	"promises":   hclspec.Attr{Type: "string"},
	"unveil":     hclspec.Attr{Type: "list(string)"},
	"importance": hclspec.Attr{Type: "string", Default: `"normal"`},
	"penalty":    hclspec.Attr{Type: "string", Default: `"eperm"`},
	"pid_mode":   hclspec.Attr{Type: "string", Default: `"private"`},
	"ipc_mode":   hclspec.Attr{Type: "string", Default: `"private"`},
	"work_dir":   hclspec.Attr{Type: "string"},
	"cap_add":    hclspec.Attr{Type: "list(string)"},
	"rlimits":    hclspec.BlockAttrs{Type: "number"},
}
