package nsexec

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// unmanagedSignals are the signals the Go runtime neither handles nor lets
// os/signal handle, leaving the disposition init inherited: 32 (glibc's
// SIGCANCEL) and 34 (musl's SIGSYNCCALL, glibc's SIGRTMIN). Catching them
// the way catchIgnored catches SIGHUP and SIGINT is impossible.
var unmanagedSignals = [...]unix.Signal{32, 34}

// defaultUnmanagedSignals gives unmanagedSignals their default action if
// init inherited them ignored, so that the task does not keep ignoring them
// across the shim's exec (an agent started with SIGRTMIN ignored would pass
// that on to every task).
func defaultUnmanagedSignals() error {
	var dfl, old kernelSigaction
	for _, sig := range unmanagedSignals {
		if _, _, e := syscall.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
			return fmt.Errorf("read the action of signal %d: %w", sig, e)
		}
		if old.handler != rawSigIGN {
			continue
		}
		if _, _, e := syscall.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0); e != 0 {
			return fmt.Errorf("reset ignored signal %d to its default action: %w", sig, e)
		}
	}
	return nil
}
