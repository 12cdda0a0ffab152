package sandbox

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// SpecFD is the fd on which the Nomad driver passes the encoded Spec to the
// re-executed shim (ExtraFiles[0] of the driver's exec).
const SpecFD = 3

// maxSpecSize bounds what the shim reads; a Spec is a command line plus an
// environment, far below this.
const maxSpecSize = 16 << 20

// ShimArg is argv[1] that selects the shim in the binaries holding it (the
// plugin and its per-task helper), dispatched to [RunShim].
const ShimArg = "__shim"

// RunShim runs [ShimMain] as a program's whole body: it reports the failure
// on stderr and returns the exit status to end with (the shim only returns
// on failure).
func RunShim() int {
	err := ShimMain()
	fmt.Fprintf(os.Stderr, "pledge: %v\n", err)
	if e, ok := err.(*Error); ok {
		return e.Code()
	}
	return ExitExecFailed
}

// ShimMain is the entry of `nomad-pledge-driver __shim`: it reads the Spec
// from SpecFD, closes it (the program must not inherit it), and calls Exec.
// It only returns on failure, with the error to report and exit on.
func ShimMain() error {
	f := os.NewFile(SpecFD, "spec")
	data, err := io.ReadAll(io.LimitReader(f, maxSpecSize+1))
	f.Close()
	if err != nil {
		return fail(ExitUsage, "read sandbox spec from fd 3", err)
	}
	if len(data) > maxSpecSize {
		return fail(ExitUsage, "read sandbox spec from fd 3", unix.EFBIG)
	}
	var s Spec
	if err := s.UnmarshalBinary(data); err != nil {
		return fail(ExitUsage, "decode sandbox spec", err)
	}
	return Exec(&s.Policy, s.Argv, s.Env)
}
