// Command taskhelper is the part of nomad-pledge-driver that runs once per
// task: the task's init (PID 1 of its pid namespace) and the sandbox shim.
// The plugin binary embeds it and runs it from a sealed memfd (see
// driver.TaskHelper), so what stays resident beside every task is this small
// program, not a copy of the plugin with gRPC, protobuf and go-plugin
// initialised in it. It has no user interface.
package main

import (
	"fmt"
	"os"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nsexec"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case sandbox.ShimArg:
			os.Exit(sandbox.RunShim())
		case nsexec.InitArg:
			nsexec.InitMain()
			os.Exit(0)
		}
	}
	fmt.Fprintln(os.Stderr, "taskhelper: the per-task helper of nomad-pledge-driver, started by the driver only")
	os.Exit(2)
}
