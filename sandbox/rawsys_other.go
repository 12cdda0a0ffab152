//go:build !amd64 && !arm64

package sandbox

import "syscall"

// Other architectures have no assembly for the supervised start (see
// rawsys.go): pledge there refuses to report or to run dynamic programs
// (use -q and a static program).

func rawVfork(flags, pidfdp uintptr) (pid, errno uintptr) { return 0, uintptr(syscall.ENOSYS) }

func forwardHandlers() (handler, restorer uintptr) { return 0, 0 }
