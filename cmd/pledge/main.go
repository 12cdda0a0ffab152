// Command pledge runs a program in a pledge-style sandbox: seccomp-BPF
// promises plus Landlock unveils, with the command line of pledge.com.
package main

import (
	"os"
	"strconv"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
	"golang.org/x/sys/unix"
)

// version is set at link time (-ldflags "-X main.version=…").
var version = "devel"

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the exit status when it does
// not become the program.
func run(args []string) int {
	if len(args) == 1 {
		switch args[0] {
		case "-list":
			if err := promises.WriteTable(os.Stdout, promises.NativeArch()); err != nil {
				os.Stderr.WriteString("error: " + err.Error() + "\n")
				return 1
			}
			return 0
		case "--version":
			os.Stdout.WriteString("pledge " + version + " (nomad-pledge-driver; Landlock ABI " + strconv.Itoa(sandbox.LandlockABI()) + ")\n")
			return 0
		}
	}
	c, err := parseConfig(args)
	if err != nil {
		return report(err)
	}
	if c.help {
		os.Stdout.WriteString(usage)
		return 0
	}
	if c.test != "" {
		return probe(c.test)
	}
	if len(c.argv) == 0 {
		os.Stderr.WriteString("error: missing command\n" + usage)
		return sandbox.ExitMissingTarget
	}
	return report(sandbox.Exec(&c.policy, c.argv, os.Environ()))
}

// report prints err and returns its exit status.
func report(err error) int {
	switch e := err.(type) {
	case *exitError:
		os.Stderr.WriteString(e.msg + "\n")
		return e.code
	case *sandbox.Error:
		if e.Code() == sandbox.ExitExecFailed {
			os.Stderr.WriteString(e.Error() + "\n")
		} else {
			os.Stderr.WriteString("error: " + e.Error() + "\n")
		}
		return e.Code()
	}
	os.Stderr.WriteString("error: " + err.Error() + "\n")
	return 1
}

// probe answers -T: 0 if the feature works on this kernel, 1 if not, 2 for
// an unknown feature.
func probe(what string) int {
	switch what {
	case "pledge":
		// PR_GET_SECCOMP fails with EINVAL on kernels without seccomp.
		if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
			return 1
		}
		return 0
	case "unveil":
		if sandbox.LandlockABI() == 0 {
			return 1
		}
		return 0
	}
	os.Stderr.WriteString(what + ": unknown test\n")
	return 2
}
