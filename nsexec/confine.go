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

// confine strips init down to what it still needs: only CAP_KILL permitted
// and effective, nothing inheritable or ambient, no_new_privs, and not
// dumpable, so that neither ptrace, pidfd_getfd nor /proc/1/{mem,fd} is
// open to the task even when it runs as root.
//
// Credentials and no_new_privs belong to each thread, and the Go runtime
// runs several, so both are set on every thread (psx); each such call
// stops every thread, which is why confine makes just two. The capset
// clears the ambient set as well: the kernel keeps only ambient
// capabilities that stay both permitted and inheritable. Init's bounding
// set stays: it only bounds what an execve grants and what may be added
// to the inheritable set, and init never execs once it has started the
// shim, nor adds anything. A shim forked after confine (initSpec.ConfineFirst)
// gets an empty bounding set from [dropBoundingSet] on its forking thread.
func confine() error {
	// The dumpable flag belongs to the process, not to a thread.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_DUMPABLE: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData
	if err := unix.Capget(&hdr, &caps[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	if _, _, errno := psx.Syscall6(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); errno != 0 {
		return fmt.Errorf("PR_SET_NO_NEW_PRIVS: %w", errno)
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
// calling thread's bounding set, which a process forked from this thread
// inherits; the first EINVAL marks the end of the kernel's list. Without
// CAP_SETPCAP there is nothing it may drop, and nothing to do.
func dropBoundingSet() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData
	if err := unix.Capget(&hdr, &caps[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	if caps[0].Effective&(1<<unix.CAP_SETPCAP) == 0 {
		return nil
	}
	for c := 0; c < 64; c++ {
		err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0)
		if err == unix.EINVAL {
			return nil
		}
		if err != nil {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	return nil
}
