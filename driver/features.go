package driver

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
)

// features is what the kernel and the driver's privileges offer. Fingerprint
// and selftest both report it.
type features struct {
	Kernel        string
	Seccomp       bool
	SeccompNotify bool
	LandlockABI   int
	// Cgroup is the hierarchy the driver can place tasks in: none for an
	// unprivileged driver without a delegated v2 subtree, whatever the
	// host has.
	Cgroup cgroup.Mode
	// Namespaces maps a namespace name (pid, ipc, mnt, uts, net, user) to
	// whether this kernel has it.
	Namespaces map[string]bool
	// NetBind: the driver holds CAP_NET_BIND_SERVICE and can pass it on.
	NetBind bool
	Root    bool
}

// seccomp(2) operation and action values (linux/seccomp.h).
const (
	seccompGetActionAvail = 2
	seccompRetUserNotif   = 0x7fc00000
)

// probeFeatures asks the kernel. It never changes anything: no filter is
// installed and no namespace created.
func probeFeatures(host *cgroup.Host) features {
	f := features{
		Kernel:      kernelRelease(),
		LandlockABI: sandbox.LandlockABI(),
		Cgroup:      cgroup.ModeNone,
		Root:        os.Geteuid() == 0,
		Namespaces:  map[string]bool{},
	}
	f.Cgroup = usableCgroup(host, f.Root)
	_, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0)
	f.Seccomp = err == nil
	f.SeccompNotify = f.Seccomp && actionAvailable(seccompRetUserNotif)
	for _, ns := range []string{"pid", "ipc", "mnt", "uts", "net", "user"} {
		_, err := os.Stat("/proc/self/ns/" + ns)
		f.Namespaces[ns] = err == nil
	}
	f.NetBind = hasCapability(unix.CAP_NET_BIND_SERVICE)
	return f
}

// actionAvailable asks seccomp whether the kernel knows a filter action.
func actionAvailable(action uint32) bool {
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, seccompGetActionAvail, 0, uintptr(unsafe.Pointer(&action)))
	return errno == 0
}

// kernelRelease is uname -r.
func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// hasCapability reports whether capability c is in the driver's permitted
// set, from /proc/self/status.
func hasCapability(c int) bool {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "CapPrm:")
		if !ok {
			continue
		}
		set, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		return err == nil && set&(1<<c) != 0
	}
	return false
}
