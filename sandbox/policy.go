// Package sandbox applies a pledge policy to the calling process and execs the
// target program: the shim behind both the pledge command line and the Nomad
// driver.
package sandbox

import "github.com/nomad-pledge-driver/nomad-pledge-driver/promises"

// Policy is everything the shim applies before it execs the target.
// (Skeleton: owned by the sandbox-core work; fields used by seccomp.go are fixed.)
type Policy struct {
	// Promises the program keeps once it runs.
	Promises promises.Set
	// Penalty for a denied syscall: EPERM (default) or kill.
	Penalty promises.Penalty
	// Report asks for each denied syscall to be reported by a supervisor.
	Report bool
	// NotifyFD is a unix socket on which the shim hands the seccomp listener
	// to a supervisor that already runs (the Nomad driver); -1 for none.
	NotifyFD int
	// SpawnSupervisor asks the shim to start its own supervisor process when
	// one is needed (the pledge command line).
	SpawnSupervisor bool
}
