package nsexec

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
	"kernel.org/pub/linux/libs/security/libcap/psx"
)

// initKeeps is the one capability init needs once the shim runs: signalling
// a task that runs as another user. Writing the status file needs none,
// since the status directory belongs to init's own uid.
const initKeeps = 1 << unix.CAP_KILL

// confine strips init down to what it still needs, on every thread (psx:
// credentials and no_new_privs are per thread, and the Go runtime runs
// several): no ambient or bounding capabilities, no_new_privs, only
// CAP_KILL permitted and effective, and not dumpable, so that neither
// ptrace nor /proc/1/{mem,fd,environ} is open to the task even when it runs
// as root.
func confine() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_DUMPABLE: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData
	if err := unix.Capget(&hdr, &caps[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	if err := allThreads(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	if caps[0].Effective&(1<<unix.CAP_SETPCAP) != 0 {
		if err := dropBoundingSet(); err != nil {
			return err
		}
	}
	if err := allThreads(unix.PR_SET_NO_NEW_PRIVS, 1, 0); err != nil {
		return fmt.Errorf("PR_SET_NO_NEW_PRIVS: %w", err)
	}
	keep := caps[0].Permitted & initKeeps
	caps = [2]unix.CapUserData{{Effective: keep, Permitted: keep}}
	_, _, errno := psx.Syscall3(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&caps[0])), 0)
	runtime.KeepAlive(&hdr)
	runtime.KeepAlive(&caps)
	if errno != 0 {
		return fmt.Errorf("capset: %w", errno)
	}
	return nil
}

// dropBoundingSet removes every capability the kernel knows from the
// bounding set; the first EINVAL marks the end of the kernel's list.
func dropBoundingSet() error {
	for c := uintptr(0); c < 64; c++ {
		err := allThreads(unix.PR_CAPBSET_DROP, c, 0)
		if err == unix.EINVAL {
			return nil
		}
		if err != nil {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	return nil
}

// allThreads runs prctl(option, a2, a3) on every thread of init.
func allThreads(option, a2, a3 uintptr) error {
	_, _, errno := psx.Syscall6(unix.SYS_PRCTL, option, a2, a3, 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
