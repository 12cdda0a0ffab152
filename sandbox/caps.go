package sandbox

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// capabilityNames are the Linux capability names in bit order (capability.h,
// through CAP_CHECKPOINT_RESTORE = 40).
var capabilityNames = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// ParseCapability returns the number of a capability named like
// "CAP_NET_BIND_SERVICE" or "net_bind_service" (case-insensitive).
func ParseCapability(name string) (int, error) {
	n := strings.ToUpper(name)
	if !strings.HasPrefix(n, "CAP_") {
		n = "CAP_" + n
	}
	for i, c := range capabilityNames {
		if c == n {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown capability %q: want a name from capabilities(7) such as CAP_NET_BIND_SERVICE", name)
}

// CapabilityName is the name of capability number c.
func CapabilityName(c int) string {
	if c >= 0 && c < len(capabilityNames) {
		return capabilityNames[c]
	}
	return "CAP_" + strconv.Itoa(c)
}

// dropBoundingSet removes every capability but keep from the bounding set, so
// that no later execve (of a setuid or file-capability binary) can gain one.
// The loop ends at the first number the kernel does not know (EINVAL), which
// also covers capabilities newer than this table.
func dropBoundingSet(keep uint64) error {
	for c := 0; ; c++ {
		if c < 64 && keep&(1<<c) != 0 {
			continue
		}
		err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0)
		switch err {
		case nil:
		case unix.EINVAL:
			return nil
		case unix.EPERM:
			return nil // not privileged: the bounding set cannot hold more than we have
		default:
			return fail(ExitCapabilities, "prctl(PR_CAPBSET_DROP, "+CapabilityName(c)+")", err)
		}
	}
}

// keepCapsAcrossSetuid makes the permitted set survive the coming setuid, so
// the ambient capabilities can be raised afterwards.
func keepCapsAcrossSetuid() error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fail(ExitCapabilities, "prctl(PR_SET_KEEPCAPS)", err)
	}
	return nil
}

// limitCapabilities leaves the thread with exactly the capabilities in keep,
// in the effective, permitted and inheritable sets, and raises them as
// ambient so they survive the execve of a program without file
// capabilities. With keep empty this empties all sets, which also covers a
// shim that runs as root and keeps uid 0.
func limitCapabilities(keep uint64) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	for i := range data {
		half := uint32(keep >> (32 * i))
		data[i] = unix.CapUserData{Effective: half, Permitted: half, Inheritable: half}
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fail(ExitCapabilities, "capset("+capList(keep)+")", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fail(ExitCapabilities, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)", err)
	}
	for c := 0; c < 64; c++ {
		if keep&(1<<c) == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
			return fail(ExitCapabilities, "prctl(PR_CAP_AMBIENT_RAISE, "+CapabilityName(c)+")", err)
		}
	}
	return nil
}

func capList(set uint64) string {
	var names []string
	for c := 0; c < 64; c++ {
		if set&(1<<c) != 0 {
			names = append(names, CapabilityName(c))
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}
