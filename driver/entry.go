package driver

import (
	"fmt"
	"os"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nsexec"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
)

// Main is the whole program of the plugin binary. The binary is its own
// helper: hidden first arguments select the sandbox shim, the task's init
// and the selftest probe, so no other binary is needed at run time. Without
// one it serves the plugin protocol when started by an agent. It returns the
// exit status for the cases that end. taskHelper is the image of the
// per-task helper program (see [TaskHelper]); nil makes init and shim
// re-execute this binary.
func Main(args []string, version string, taskHelper []byte) int {
	if len(args) > 1 {
		switch args[1] {
		case sandbox.ShimArg:
			return sandbox.RunShim()
		case nsexec.InitArg:
			nsexec.InitMain()
			return 0
		case ProbeArg:
			return ProbeMain(args[2:])
		case "selftest":
			return Selftest(os.Stdout, version, taskHelper)
		case "--version", "version":
			fmt.Printf("%s %s\n", PluginName, version)
			return 0
		}
	}
	if !StartedByAgent() {
		fmt.Fprintf(os.Stderr, "This binary is a Nomad plugin: put it in the agent's plugin_dir as %s.\nRun `%s selftest` to check this machine.\n", PluginName, args[0])
		return 1
	}
	opts := Options{Logger: nomadplugin.Logger(), Version: version}
	if taskHelper != nil {
		f, path, err := TaskHelper(taskHelper)
		if err != nil {
			opts.Logger.Warn("tasks re-execute the plugin binary instead of the task helper", "error", err)
		} else {
			defer f.Close()
			opts.Self = path
		}
	}
	nomadplugin.Serve(New(opts))
	return 0
}

// StartedByAgent reports whether a Nomad agent (or a harness acting like
// one) started this process: it sets the plugin handshake's magic cookie.
func StartedByAgent() bool {
	return os.Getenv(nomadplugin.Handshake.MagicCookieKey) == nomadplugin.Handshake.MagicCookieValue
}

// IsHelper reports whether args select one of the hidden helper entries,
// which must run before anything else in the process (test binaries check
// this in TestMain).
func IsHelper(args []string) bool {
	if len(args) < 2 {
		return false
	}
	switch args[1] {
	case sandbox.ShimArg, nsexec.InitArg, ProbeArg:
		return true
	}
	return false
}
