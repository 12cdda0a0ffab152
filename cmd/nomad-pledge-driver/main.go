// Command nomad-pledge-driver is the Nomad task driver plugin "pledge".
//
//	nomad-pledge-driver             serve the plugin (started by the agent)
//	nomad-pledge-driver selftest    check this machine; exit 0 if tasks can run
//	nomad-pledge-driver --version   print the version
//
// The binary is also its own sandbox shim, task init and selftest probe,
// selected by hidden first arguments (see driver.Main).
package main

import (
	"os"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/driver"
)

// version is set at link time (-ldflags "-X main.version=…").
var version = "0.1.0-dev"

func main() {
	os.Exit(driver.Main(os.Args, version))
}
