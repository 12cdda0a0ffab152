// Command nomad-pledge-driver is the Nomad task driver plugin "pledge".
//
//	nomad-pledge-driver             serve the plugin (started by the agent)
//	nomad-pledge-driver selftest    check this machine; exit 0 if tasks can run
//	nomad-pledge-driver --version   print the version
//
// Built with `make build` (build tag embedhelper), the binary carries the
// small per-task helper (./taskhelper) that runs as each task's init and
// shim. Built without the tag, it is its own sandbox shim and task init,
// selected by hidden first arguments (see driver.Main); that costs each
// task about 2 MiB more but needs no build step before `go build`.
package main

import (
	"os"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/driver"
)

// version is set at link time (-ldflags "-X main.version=…").
var version = "0.1.0-dev"

func main() {
	os.Exit(driver.Main(os.Args, version, taskHelper))
}
