package sandbox

import (
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
