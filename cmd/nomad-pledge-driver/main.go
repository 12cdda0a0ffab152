// Command nomad-pledge-driver is the Nomad task driver plugin "pledge".
// Started by a Nomad agent it serves the plugin protocol; it is also its own
// helper: hidden first arguments select the sandbox shim, the task's init
// and the seccomp supervisor, so no other binary is needed at run time.
//
//	nomad-pledge-driver             serve the plugin (started by the agent)
//	nomad-pledge-driver selftest    check this machine and exit 0 if tasks can run
//	nomad-pledge-driver --version   print the version
package main

import (
	"fmt"
	"os"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/driver"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nsexec"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

// version is set at link time (-ldflags "-X main.version=…").
var version = "0.1.0-dev"

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "__shim":
			os.Exit(shim())
		case nsexec.InitArg:
			nsexec.InitMain()
			return
		case supervisor.Command:
			supervisor.Main()
			return
		case driver.ProbeArg:
			os.Exit(driver.ProbeMain(os.Args[2:]))
		case "selftest":
			os.Exit(driver.Selftest(os.Stdout, version))
		case "--version", "version":
			fmt.Printf("nomad-pledge-driver %s\n", version)
			return
		}
	}
	if os.Getenv(nomadplugin.Handshake.MagicCookieKey) != nomadplugin.Handshake.MagicCookieValue {
		fmt.Fprintf(os.Stderr, "This binary is a Nomad plugin: put it in the agent's plugin_dir as %s.\nRun `%s selftest` to check this machine.\n", driver.PluginName, os.Args[0])
		os.Exit(1)
	}
	nomadplugin.Serve(driver.New(driver.Options{Logger: nomadplugin.Logger(), Version: version}))
}

// shim runs the sandbox shim, which only returns on failure.
func shim() int {
	err := sandbox.ShimMain()
	fmt.Fprintf(os.Stderr, "pledge: %v\n", err)
	if e, ok := err.(*sandbox.Error); ok {
		return e.Code()
	}
	return sandbox.ExitExecFailed
}
