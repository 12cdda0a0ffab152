// Command execwrap is the floor for any Go program that execs another: it
// does nothing but exec its arguments. scripts/bench.sh compares pledge
// against it.
package main

import (
	"os"
	"syscall"
)

func main() {
	err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
	os.Stderr.WriteString("execwrap: " + err.Error() + "\n")
	os.Exit(127)
}
