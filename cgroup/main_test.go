package cgroup

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// childEnv selects what a re-executed test binary does instead of running
// tests: the VM tests start such children inside the group under test.
const childEnv = "PLEDGE_CGROUP_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

// runChild waits for one byte on stdin (sent once the parent has placed the
// process in its group), echoes it on stdout, then behaves as mode says
// until killed. Mode "idle" skips the handshake (grandchildren).
func runChild(mode string) int {
	if mode != "idle" {
		var b [1]byte
		if _, err := os.Stdin.Read(b[:]); err != nil {
			fmt.Fprintln(os.Stderr, "child: waiting for the go-ahead:", err)
			return 2
		}
		// Echo it: the parent then knows the child runs inside its group.
		if _, err := os.Stdout.Write(b[:]); err != nil {
			fmt.Fprintln(os.Stderr, "child: acknowledging:", err)
			return 2
		}
	}
	switch mode {
	case "idle", "sleep":
		time.Sleep(time.Hour)
	case "spin":
		for {
			spins++
		}
	case "alloc":
		allocForever()
	case "fork":
		for range 3 {
			c := exec.Command(os.Args[0], "-test.run=^$")
			c.Env = append(os.Environ(), childEnv+"=idle")
			if err := c.Start(); err != nil {
				fmt.Fprintln(os.Stderr, "child: fork:", err)
				return 2
			}
		}
		time.Sleep(time.Hour)
	default:
		fmt.Fprintf(os.Stderr, "child: unknown mode %q\n", mode)
		return 2
	}
	return 0
}

// allocForever touches ever more anonymous memory, so a memory limit ends
// it through the OOM killer.
func allocForever() {
	for {
		b := make([]byte, 4<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		retained = append(retained, b)
	}
}

// spins is the busy loop's work, kept in a package variable so the loop
// is not an empty one.
var spins uint64

// retained keeps allocForever's memory reachable.
var retained [][]byte
