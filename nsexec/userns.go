package nsexec

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// initUserNSCaps are the capabilities init carries across its execve when it
// is created in a user namespace ([Config.UserNS]), all of them over that
// namespace only: CAP_SYS_ADMIN to mount /proc, make its mounts slaves and
// set the hostname, CAP_SETPCAP to empty the shim's bounding set
// ([dropBoundingSet]).
//
// They must be ambient because init does not run as root there: its uid is
// the driver's, mapped to itself, and execve takes every capability from a
// non-root process that holds none as ambient. Init confines itself before it
// starts the shim (initSpec.ConfineFirst), so the shim, and with it the
// task, starts with empty capability and bounding sets.
var initUserNSCaps = []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_SETPCAP}

// setUserNS makes sys create init in a new user namespace in which only the
// driver's effective uid and gid exist, each as itself. An unprivileged
// process may write exactly such single-id maps for a namespace it creates,
// the gid map only after denying setgroups, which also keeps the task from
// dropping supplementary groups that deny it access somewhere.
func setUserNS(sys *syscall.SysProcAttr) {
	uid, gid := os.Geteuid(), os.Getegid()
	sys.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
	sys.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
	sys.GidMappingsEnableSetgroups = false
	sys.AmbientCaps = initUserNSCaps
}
