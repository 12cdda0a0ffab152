package promises

import (
	"strings"
	"testing"

	"golang.org/x/net/bpf"
)

// testPID is the SelfPID the table tests compile with.
const testPID = 4242

// testCookie is the Cookie the table tests compile with.
const testCookie = 0x1122334455667788

// callCase is one system call under one promise set and its expected verdict.
type callCase struct {
	set     string
	opts    Options // Arch and SelfPID are filled in
	syscall string
	args    [6]uint64
	want    Action
}

var (
	allowed = ActionAllow
	eperm   = actionEPERM
	enosys  = actionENOSYS
	notify  = ActionNotify
	kill    = ActionKillProcess
)

// Argument values used by the table.
const (
	oRdonly    = 0
	oCreatV    = 0100
	oTruncV    = 01000
	oTmpfileV  = 020200000
	oCloexec   = 02000000
	oDirectory = 0200000
	protR      = 1
	protRW     = 3
	protRX     = 5
	mapPrivate = 0x2
	mapAnon    = 0x20
	goThread   = 0x3d0f00 // Go's clone flags for a new thread
	goVfork    = 0x4111   // CLONE_VFORK|CLONE_VM|SIGCHLD, os/exec's child
	sigchld    = 17
	hiPointer  = 1 << 32 // a non-NULL pointer whose low half is zero
)

// argumentCases cover every argument rule of the catalog, both sides.
var argumentCases = []callCase{
	// rpath: read-only opens only.
	{set: "rpath", syscall: "open", args: [6]uint64{0, oRdonly | oCloexec | oDirectory}, want: allowed},
	{set: "rpath", syscall: "open", args: [6]uint64{0, oRdonly | oTruncV}, want: eperm},
	{set: "rpath", syscall: "open", args: [6]uint64{0, 1}, want: eperm},
	{set: "rpath", syscall: "openat", args: [6]uint64{0, 0, oRdonly}, want: allowed},
	{set: "rpath", syscall: "openat", args: [6]uint64{0, 0, 2}, want: eperm},
	{set: "rpath", syscall: "openat", args: [6]uint64{0, 0, oCreatV}, want: eperm},
	{set: "rpath", syscall: "openat", args: [6]uint64{0, 0, oTmpfileV | 2}, want: eperm},
	{set: "rpath", syscall: "openat", args: [6]uint64{0, 0, 1 << 32}, want: allowed}, // int flags: upper half ignored, as by the kernel
	{set: "dns", syscall: "openat", args: [6]uint64{0, 0, oRdonly}, want: allowed},
	{set: "dns", syscall: "open", args: [6]uint64{0, oRdonly}, want: eperm},
	// wpath: write opens of existing files.
	{set: "wpath", syscall: "openat", args: [6]uint64{0, 0, 1}, want: allowed},
	{set: "wpath", syscall: "openat", args: [6]uint64{0, 0, 2 | oTruncV}, want: allowed},
	{set: "wpath", syscall: "openat", args: [6]uint64{0, 0, oRdonly}, want: eperm},
	{set: "wpath", syscall: "openat", args: [6]uint64{0, 0, 1 | oCreatV}, want: eperm},
	{set: "wpath", syscall: "openat", args: [6]uint64{0, 0, 2 | oTmpfileV}, want: eperm},
	{set: "wpath", syscall: "openat", args: [6]uint64{0, 0, 3}, want: eperm},
	{set: "wpath", syscall: "open", args: [6]uint64{0, 2}, want: allowed},
	// cpath: creation only, without special mode bits (stricter than the reference).
	{set: "cpath", syscall: "openat", args: [6]uint64{0, 0, 1 | oCreatV | oTruncV, 0644}, want: allowed},
	{set: "cpath", syscall: "openat", args: [6]uint64{0, 0, 1 | oCreatV, 04644}, want: eperm},
	{set: "cpath", syscall: "openat", args: [6]uint64{0, 0, 2 | oCreatV, 01777}, want: eperm},
	{set: "cpath", syscall: "openat", args: [6]uint64{0, 0, 2 | oTmpfileV, 0600}, want: allowed},
	{set: "cpath", syscall: "openat", args: [6]uint64{0, 0, 2 | oTmpfileV, 02600}, want: eperm},
	{set: "cpath", syscall: "openat", args: [6]uint64{0, 0, oRdonly}, want: eperm},
	{set: "cpath", syscall: "openat", args: [6]uint64{0, 0, 2}, want: eperm},
	{set: "cpath", syscall: "openat", args: [6]uint64{0, 0, 1 | oTruncV}, want: eperm},
	{set: "cpath", syscall: "open", args: [6]uint64{0, 1 | oCreatV, 0600}, want: allowed},
	{set: "cpath", syscall: "open", args: [6]uint64{0, 1 | oCreatV, 06600}, want: eperm},
	{set: "cpath", syscall: "creat", args: [6]uint64{0, 0644}, want: allowed},
	{set: "cpath", syscall: "creat", args: [6]uint64{0, 02755}, want: eperm},
	// chmod family in wpath and fattr.
	{set: "wpath", syscall: "chmod", args: [6]uint64{0, 0755}, want: allowed},
	{set: "wpath", syscall: "chmod", args: [6]uint64{0, 04755}, want: eperm},
	{set: "fattr", syscall: "fchmod", args: [6]uint64{0, 0600}, want: allowed},
	{set: "fattr", syscall: "fchmod", args: [6]uint64{0, 01777}, want: eperm},
	{set: "fattr", syscall: "fchmodat", args: [6]uint64{0, 0, 0644}, want: allowed},
	{set: "fattr", syscall: "fchmodat", args: [6]uint64{0, 0, 02644}, want: eperm},
	{set: "stdio", syscall: "fchmod", args: [6]uint64{0, 0600}, want: eperm},
	// mmap and mprotect.
	{set: "stdio", syscall: "mmap", args: [6]uint64{0, 4096, protRW, mapPrivate | mapAnon}, want: allowed},
	{set: "stdio", syscall: "mmap", args: [6]uint64{0, 4096, protRW, mapPrivate | 0x40000}, want: allowed},
	{set: "stdio", syscall: "mmap", args: [6]uint64{0, 4096, protRX, mapPrivate}, want: eperm},
	{set: "stdio", syscall: "mmap", args: [6]uint64{0, 4096, protR | 0x8, mapPrivate}, want: eperm},
	{set: "stdio", syscall: "mmap", args: [6]uint64{0, 4096, protR, mapPrivate | 0x2000}, want: eperm},
	{set: "stdio", syscall: "mmap", args: [6]uint64{0, 4096, protR, mapPrivate | 0x10000}, want: eperm},
	{set: "prot_exec", syscall: "mmap", args: [6]uint64{0, 4096, protRX, mapPrivate}, want: allowed},
	{set: "prot_exec", syscall: "mmap", args: [6]uint64{0, 4096, protRX, mapPrivate | 0x40000}, want: eperm},
	{set: "stdio prot_exec", syscall: "mmap", args: [6]uint64{0, 4096, protRW, mapPrivate | 0x40000}, want: allowed},
	{set: "stdio prot_exec", syscall: "mmap", args: [6]uint64{0, 4096, protRX, mapPrivate | 0x40000}, want: eperm},
	{set: "stdio", syscall: "mprotect", args: [6]uint64{0, 4096, protR}, want: allowed},
	{set: "stdio", syscall: "mprotect", args: [6]uint64{0, 4096, protRX}, want: eperm},
	{set: "prot_exec", syscall: "mprotect", args: [6]uint64{0, 4096, protRX}, want: allowed},
	{set: "stdio", syscall: "pkey_mprotect", args: [6]uint64{0, 4096, protR}, want: eperm},
	// fcntl.
	{set: "stdio", syscall: "fcntl", args: [6]uint64{0, 3}, want: allowed},
	{set: "stdio", syscall: "fcntl", args: [6]uint64{0, 0}, want: allowed},
	{set: "stdio", syscall: "fcntl", args: [6]uint64{0, 1030}, want: allowed},
	{set: "stdio", syscall: "fcntl", args: [6]uint64{0, 6}, want: eperm},
	{set: "stdio", syscall: "fcntl", args: [6]uint64{0, 8}, want: eperm},
	{set: "stdio", syscall: "fcntl", args: [6]uint64{0, 1031}, want: eperm},
	{set: "flock", syscall: "fcntl", args: [6]uint64{0, 6}, want: allowed},
	{set: "flock", syscall: "fcntl", args: [6]uint64{0, 38}, want: allowed},
	{set: "flock", syscall: "fcntl", args: [6]uint64{0, 3}, want: eperm},
	{set: "stdio flock", syscall: "fcntl", args: [6]uint64{0, 37}, want: allowed},
	{set: "stdio flock", syscall: "fcntl", args: [6]uint64{0, 1033}, want: eperm},
	// ioctl.
	{set: "stdio", syscall: "ioctl", args: [6]uint64{0, 0x541B}, want: allowed},
	{set: "stdio", syscall: "ioctl", args: [6]uint64{0, 0x5451}, want: allowed},
	{set: "stdio", syscall: "ioctl", args: [6]uint64{0, 0x5401}, want: eperm},
	{set: "tty", syscall: "ioctl", args: [6]uint64{0, 0x5401}, want: allowed},
	{set: "tty", syscall: "ioctl", args: [6]uint64{0, 0x5427}, want: allowed},
	{set: "stdio tty", syscall: "ioctl", args: [6]uint64{0, 0x5412}, want: eperm}, // TIOCSTI
	{set: "inet", syscall: "ioctl", args: [6]uint64{0, 0x8905}, want: allowed},
	{set: "anet", syscall: "ioctl", args: [6]uint64{0, 0x8905}, want: allowed},
	{set: "inet", syscall: "ioctl", args: [6]uint64{0, 0x541B}, want: eperm},
	// socket.
	{set: "inet", syscall: "socket", args: [6]uint64{2, 1, 0}, want: allowed},
	{set: "inet", syscall: "socket", args: [6]uint64{10, 2 | 0x800 | 0x80000, 17}, want: allowed},
	{set: "inet", syscall: "socket", args: [6]uint64{2, 2, 1}, want: allowed},
	{set: "inet", syscall: "socket", args: [6]uint64{2, 1, 6}, want: allowed},
	{set: "inet", syscall: "socket", args: [6]uint64{2, 1, 17}, want: eperm},
	{set: "inet", syscall: "socket", args: [6]uint64{2, 1, 262}, want: eperm}, // IPPROTO_MPTCP
	{set: "inet", syscall: "socket", args: [6]uint64{2, 3, 0}, want: eperm},   // SOCK_RAW
	{set: "inet", syscall: "socket", args: [6]uint64{2, 5, 0}, want: eperm},   // SOCK_SEQPACKET
	{set: "inet", syscall: "socket", args: [6]uint64{16, 2, 0}, want: eperm},  // AF_NETLINK
	{set: "inet", syscall: "socket", args: [6]uint64{1, 1, 0}, want: eperm},
	{set: "dns", syscall: "socket", args: [6]uint64{2, 2 | 0x80000, 0}, want: allowed},
	{set: "anet", syscall: "socket", args: [6]uint64{10, 1, 6}, want: allowed},
	{set: "anet", syscall: "socket", args: [6]uint64{2, 2, 17}, want: eperm},
	{set: "unix", syscall: "socket", args: [6]uint64{1, 1 | 0x80000, 0}, want: allowed},
	{set: "unix", syscall: "socket", args: [6]uint64{1, 2, 0}, want: allowed},
	{set: "unix", syscall: "socket", args: [6]uint64{1, 5, 0}, want: eperm},
	{set: "unix", syscall: "socket", args: [6]uint64{1, 1, 1}, want: eperm},
	{set: "unix", syscall: "socket", args: [6]uint64{2, 1, 0}, want: eperm},
	{set: "unix", syscall: "socketpair", args: [6]uint64{1, 5, 0}, want: eperm},
	{set: "stdio", syscall: "socketpair", args: [6]uint64{1, 5, 0}, want: allowed},
	// setsockopt and getsockopt: (level, option) pairs.
	{set: "inet", syscall: "setsockopt", args: [6]uint64{0, 1, 2}, want: allowed},
	{set: "inet", syscall: "setsockopt", args: [6]uint64{0, 6, 1}, want: allowed},
	{set: "inet", syscall: "setsockopt", args: [6]uint64{0, 6, 6}, want: allowed},
	{set: "inet", syscall: "setsockopt", args: [6]uint64{0, 41, 26}, want: allowed},
	{set: "inet", syscall: "setsockopt", args: [6]uint64{0, 0, 11}, want: allowed},
	{set: "inet", syscall: "setsockopt", args: [6]uint64{0, 1, 26}, want: eperm}, // SO_ATTACH_FILTER
	{set: "inet", syscall: "setsockopt", args: [6]uint64{0, 1, 1}, want: eperm},  // SO_DEBUG
	{set: "inet", syscall: "setsockopt", args: [6]uint64{0, 1, 8}, want: eperm},  // SO_RCVBUF
	{set: "inet", syscall: "setsockopt", args: [6]uint64{0, 1, 25}, want: eperm}, // SO_BINDTODEVICE
	{set: "inet", syscall: "setsockopt", args: [6]uint64{0, 0, 26}, want: eperm},
	{set: "inet", syscall: "setsockopt", args: [6]uint64{0, 41, 1}, want: eperm},
	{set: "unix", syscall: "setsockopt", args: [6]uint64{0, 1, 21}, want: allowed},
	{set: "dns", syscall: "setsockopt", args: [6]uint64{0, 0, 12}, want: allowed},
	{set: "anet", syscall: "setsockopt", args: [6]uint64{0, 6, 30}, want: allowed},
	{set: "inet", syscall: "getsockopt", args: [6]uint64{0, 1, 4}, want: allowed},
	{set: "inet", syscall: "getsockopt", args: [6]uint64{0, 6, 2}, want: allowed},
	{set: "inet", syscall: "getsockopt", args: [6]uint64{0, 6, 20}, want: eperm},
	{set: "inet", syscall: "getsockopt", args: [6]uint64{0, 1, 17}, want: eperm}, // SO_PEERCRED
	{set: "dns", syscall: "getsockopt", args: [6]uint64{0, 1, 4}, want: eperm},
	// sendto: NULL destination in stdio, anything with a socket promise.
	{set: "stdio", syscall: "sendto", args: [6]uint64{0, 0, 0, 0, 0}, want: allowed},
	{set: "stdio", syscall: "sendto", args: [6]uint64{0, 0, 0, 0, 0x7ffd1000}, want: eperm},
	{set: "stdio", syscall: "sendto", args: [6]uint64{0, 0, 0, 0, hiPointer}, want: eperm},
	{set: "inet", syscall: "sendto", args: [6]uint64{0, 0, 0, 0, 0x7ffd1000}, want: allowed},
	// kill and tgkill: own pid in stdio, any in proc; tkill nowhere.
	{set: "stdio", syscall: "kill", args: [6]uint64{testPID, 15}, want: allowed},
	{set: "stdio", syscall: "kill", args: [6]uint64{0, 15}, want: eperm},
	{set: "stdio", syscall: "kill", args: [6]uint64{0xffffffff, 9}, want: eperm},
	{set: "stdio", syscall: "kill", args: [6]uint64{testPID + 1, 9}, want: eperm},
	{set: "proc", syscall: "kill", args: [6]uint64{1, 9}, want: allowed},
	{set: "stdio", syscall: "tgkill", args: [6]uint64{testPID, 77, 23}, want: allowed},
	{set: "stdio", syscall: "tgkill", args: [6]uint64{1, 1, 23}, want: eperm},
	{set: "stdio proc", syscall: "tgkill", args: [6]uint64{1, 1, 23}, want: allowed},
	{set: "stdio", syscall: "tkill", args: [6]uint64{testPID, 9}, want: eperm},
	{set: "stdio proc", syscall: "tkill", args: [6]uint64{testPID, 9}, want: eperm},
	{set: "stdio", syscall: "waitid", args: [6]uint64{1, 100, 0, 0x1000004}, want: allowed},
	{set: "proc", syscall: "waitid", want: eperm},
	// prctl.
	{set: "stdio", syscall: "prctl", args: [6]uint64{15}, want: allowed},
	{set: "stdio", syscall: "prctl", args: [6]uint64{22, 2}, want: allowed},
	{set: "stdio", syscall: "prctl", args: [6]uint64{38, 1}, want: allowed},
	{set: "stdio", syscall: "prctl", args: [6]uint64{39}, want: eperm},
	{set: "stdio", syscall: "prctl", args: [6]uint64{4}, want: eperm},
	{set: "stdio", syscall: "prctl", args: [6]uint64{0x53564d41, 0}, want: allowed}, // PR_SET_VMA, PR_SET_VMA_ANON_NAME
	{set: "rpath", syscall: "prctl", args: [6]uint64{0x53564d41, 0}, want: eperm},
	{set: "stdio", syscall: "prctl", args: [6]uint64{0x59616d61}, want: eperm}, // PR_SET_PTRACER
	{set: "stdio", syscall: "prctl", args: [6]uint64{1}, want: eperm},
	{set: "stdio", syscall: "prctl", args: [6]uint64{LoaderDoneOption}, want: eperm},
	// prlimit64: read-only in stdio.
	{set: "stdio", syscall: "prlimit64", args: [6]uint64{0, 7, 0, 0x7ffd1000}, want: allowed},
	{set: "stdio", syscall: "prlimit64", args: [6]uint64{0, 7, 0x7ffd1000, 0}, want: eperm},
	{set: "stdio", syscall: "prlimit64", args: [6]uint64{0, 7, hiPointer, 0}, want: eperm},
	{set: "id", syscall: "prlimit64", args: [6]uint64{0, 7, 0x7ffd1000, 0}, want: allowed},
	{set: "stdio", syscall: "setrlimit", want: eperm},
	// clone: threads in stdio; processes in proc; namespaces nowhere.
	{set: "stdio", syscall: "clone", args: [6]uint64{goThread}, want: allowed},
	{set: "stdio", syscall: "clone", args: [6]uint64{sigchld}, want: eperm},
	{set: "stdio", syscall: "clone", args: [6]uint64{goVfork}, want: eperm},
	{set: "stdio", syscall: "clone", args: [6]uint64{goThread | 0x2000}, want: eperm},
	{set: "proc", syscall: "clone", args: [6]uint64{sigchld}, want: allowed},
	{set: "proc", syscall: "clone", args: [6]uint64{goVfork | 0x1000}, want: allowed}, // CLONE_PIDFD
	{set: "stdio proc", syscall: "clone", args: [6]uint64{sigchld | 0x10000000}, want: eperm},
	{set: "stdio proc", syscall: "clone", args: [6]uint64{sigchld | 0x20000000}, want: eperm},
	{set: "stdio proc", syscall: "clone", args: [6]uint64{sigchld | 0x40000000}, want: eperm},
	{set: "stdio proc", syscall: "clone", args: [6]uint64{sigchld | 0x20000}, want: eperm},
	{set: "stdio proc", syscall: "clone", args: [6]uint64{sigchld | 0x2000000}, want: eperm},
	{set: "stdio proc", syscall: "clone", args: [6]uint64{sigchld | 0x4000000}, want: eperm},
	{set: "stdio proc", syscall: "clone", args: [6]uint64{sigchld | 0x8000000}, want: eperm},
	{set: "stdio proc", syscall: "clone", args: [6]uint64{sigchld | 0x800000}, want: eperm},
	{set: "stdio proc", syscall: "clone", args: [6]uint64{sigchld | 0x2000}, want: eperm},
	{set: "stdio proc", syscall: "unshare", args: [6]uint64{0x10000000}, want: eperm},
}

// fixedCases cover the rules every filter applies and the Options.
var fixedCases = []callCase{
	{set: "", syscall: "exit", want: allowed},
	{set: "", syscall: "exit_group", want: allowed},
	{set: "", syscall: "rt_sigreturn", want: allowed},
	{set: "", syscall: "rt_sigreturn", opts: Options{Penalty: PenaltyKill}, want: allowed},
	{set: "rpath", syscall: "rt_sigreturn", opts: Options{Penalty: PenaltyNotify, Loader: Rpath}, want: allowed},
	{set: "", syscall: "getppid", want: eperm},
	{set: "", syscall: "getppid", opts: Options{Penalty: PenaltyKill}, want: kill},
	{set: "", syscall: "getppid", opts: Options{Penalty: PenaltyNotify}, want: notify},
	{set: "stdio", syscall: "getppid", want: allowed},
	{set: "stdio", syscall: "execve", want: eperm},
	{set: "exec", syscall: "execve", want: allowed},
	{set: "exec", syscall: "execveat", want: allowed},
	{set: "stdio rpath", syscall: "seccomp", want: eperm},
	{set: "stdio rpath", syscall: "ptrace", want: eperm},
	{set: "stdio rpath", syscall: "getxattr", want: eperm},
	// Forced ENOSYS, whatever the set and penalty.
	{set: "stdio rpath wpath cpath dpath flock fattr inet unix dns tty recvfd proc exec id unveil sendfd settime prot_exec vminfo tmppath chown anet",
		syscall: "clone3", want: enosys},
	{set: "stdio rpath", syscall: "openat2", want: enosys},
	{set: "stdio", syscall: "memfd_create", opts: Options{Penalty: PenaltyKill}, want: enosys},
	{set: "stdio", syscall: "memfd_secret", want: enosys},
	{set: "stdio", syscall: "fchmodat2", want: enosys},
	// The cookie: execveat and sendmsg with the full cookie in args[5].
	{set: "stdio", syscall: "execveat", opts: Options{Cookie: testCookie}, args: [6]uint64{5: testCookie}, want: allowed},
	{set: "stdio", syscall: "sendmsg", opts: Options{Cookie: testCookie}, args: [6]uint64{5: testCookie}, want: allowed},
	{set: "stdio", syscall: "execveat", opts: Options{Cookie: testCookie}, args: [6]uint64{5: testCookie & 0xffffffff}, want: eperm},
	{set: "stdio", syscall: "execveat", opts: Options{Cookie: testCookie}, args: [6]uint64{5: testCookie &^ 0xffffffff}, want: eperm},
	{set: "stdio", syscall: "execve", opts: Options{Cookie: testCookie}, args: [6]uint64{5: testCookie}, want: eperm},
	{set: "stdio", syscall: "sendmsg", opts: Options{Cookie: testCookie}, want: eperm},
	{set: "stdio", syscall: "execveat", want: eperm},
	// The loader phase: rpath's rules notify, the rest stays denied.
	{set: "stdio", syscall: "openat", opts: Options{Loader: Rpath}, args: [6]uint64{0, 0, oRdonly}, want: notify},
	{set: "stdio", syscall: "newfstatat", opts: Options{Loader: Rpath}, want: notify},
	{set: "stdio", syscall: "openat", opts: Options{Loader: Rpath}, args: [6]uint64{0, 0, 2}, want: eperm},
	{set: "stdio", syscall: "openat", opts: Options{Loader: Rpath, Penalty: PenaltyKill}, args: [6]uint64{0, 0, 2}, want: kill},
	{set: "stdio rpath", syscall: "openat", opts: Options{Loader: Rpath}, args: [6]uint64{0, 0, oRdonly}, want: allowed},
	{set: "stdio wpath", syscall: "openat", opts: Options{Loader: Rpath}, args: [6]uint64{0, 0, 1}, want: allowed},
	{set: "stdio", syscall: "prctl", opts: Options{Loader: Rpath}, args: [6]uint64{LoaderDoneOption}, want: notify},
	{set: "stdio", syscall: "prctl", opts: Options{Loader: Rpath}, args: [6]uint64{15}, want: allowed},
	{set: "stdio", syscall: "prctl", opts: Options{Loader: Rpath}, args: [6]uint64{4}, want: eperm},
	// FileExec: executable mappings of files only.
	{set: "stdio", syscall: "mmap", opts: Options{FileExec: true}, args: [6]uint64{0, 4096, protRX, mapPrivate | 0x800}, want: allowed},
	{set: "stdio", syscall: "mmap", opts: Options{FileExec: true}, args: [6]uint64{0, 4096, protRX, mapPrivate | mapAnon}, want: eperm},
	{set: "stdio", syscall: "mmap", opts: Options{FileExec: true}, args: [6]uint64{0, 4096, protRX, mapPrivate | 0x2000}, want: eperm},
	{set: "stdio", syscall: "mmap", opts: Options{FileExec: true}, args: [6]uint64{0, 4096, protRX, mapPrivate | 0x40000}, want: eperm},
	{set: "stdio", syscall: "mprotect", opts: Options{FileExec: true}, args: [6]uint64{0, 4096, protRX}, want: eperm},
}

// checkCase runs c on arch a through the compiled filter and the model.
func checkCase(t *testing.T, a Arch, c callCase) {
	t.Helper()
	nr, ok := SyscallNumber(a, c.syscall)
	if !ok {
		return
	}
	set, err := Parse(c.set)
	if err != nil {
		t.Fatal(err)
	}
	o := c.opts
	o.Arch, o.SelfPID = a, testPID
	prog, err := Compile(set, o)
	if err != nil {
		t.Fatalf("Compile(%q): %v", c.set, err)
	}
	d := Data{Nr: nr, Arch: AuditArch(a), Args: c.args}
	got, err := prog.Run(d)
	if err != nil {
		t.Fatal(err)
	}
	if got != c.want {
		t.Errorf("%s %q %+v: %s%x = %v, want %v", a, c.set, o, c.syscall, c.args, got, c.want)
	}
	if model := Evaluate(set, o, d); model != c.want {
		t.Errorf("%s %q %+v: model says %s%x = %v, want %v", a, c.set, o, c.syscall, c.args, model, c.want)
	}
}

func TestArgumentRules(t *testing.T) {
	for _, a := range []Arch{AMD64, ARM64} {
		for _, c := range argumentCases {
			checkCase(t, a, c)
		}
	}
}

func TestFixedRulesAndOptions(t *testing.T) {
	for _, a := range []Arch{AMD64, ARM64} {
		for _, c := range fixedCases {
			checkCase(t, a, c)
		}
	}
}

func TestArchAndNumberRanges(t *testing.T) {
	for _, a := range []Arch{AMD64, ARM64} {
		for _, p := range []Penalty{PenaltyEPERM, PenaltyKill, PenaltyNotify} {
			o := Options{Arch: a, Penalty: p, SelfPID: testPID}
			prog, err := Compile(All(), o)
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				d    Data
				want Action
			}{
				{Data{Arch: 0x40000003, Nr: 20}, kill}, // i386 int 0x80
				{Data{Arch: auditArchAArch64 ^ auditArchX8664 ^ AuditArch(a), Nr: 39}, kill},
				{Data{Arch: AuditArch(a), Nr: 447}, enosys},
				{Data{Arch: AuditArch(a), Nr: 0x40000000 | 39}, enosys}, // x32
				{Data{Arch: AuditArch(a), Nr: 0xffffffff}, enosys},
				{Data{Arch: AuditArch(a), Nr: 446}, allowed}, // landlock_restrict_self
			}
			for _, c := range cases {
				got, err := prog.Run(c.d)
				if err != nil || got != c.want {
					t.Errorf("%s %s: %+v = %v, %v; want %v", a, p, c.d, got, err, c.want)
				}
				if model := Evaluate(All(), o, c.d); model != c.want {
					t.Errorf("%s %s: model says %+v = %v; want %v", a, p, c.d, model, c.want)
				}
			}
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		s    Set
		o    Options
		want string
	}{
		{Stdio, Options{}, "SelfPID"},
		{Rpath, Options{Loader: Stdio}, "SelfPID"},
		{Rpath, Options{Arch: 7}, "architecture"},
		{Rpath, Options{Penalty: 9}, "penalty"},
		{Set(1 << 30), Options{}, "beyond"},
		{Rpath, Options{Loader: Set(1 << 31)}, "Loader"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.s, tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Compile(%q, %+v) error = %v, want one naming %s", tt.s, tt.o, err, tt.want)
		}
	}
	if _, err := Compile(Rpath, Options{}); err != nil {
		t.Errorf("Compile(rpath) without SelfPID: %v", err)
	}
}

// sizeBudgets are the instruction-count targets of issue 2. "stdio rpath"
// met its target of 120 with the reference's prctl options; allowing
// PR_SET_VMA in stdio (without it every Go 1.25+ program is reported, and
// killed under the kill penalty, at start-up) costs one more instruction.
var sizeBudgets = []struct {
	set string
	max int
}{
	{"stdio rpath", 121},
	{"stdio rpath wpath cpath dpath flock fattr inet unix dns tty recvfd proc exec id unveil sendfd settime prot_exec vminfo tmppath chown anet", 400},
}

func TestSizeBudgets(t *testing.T) {
	for _, a := range []Arch{AMD64, ARM64} {
		for _, b := range sizeBudgets {
			s, _ := Parse(b.set)
			prog, err := Compile(s, Options{Arch: a, SelfPID: testPID})
			if err != nil {
				t.Fatal(err)
			}
			if len(prog) > b.max {
				t.Errorf("%s %q: %d instructions, budget %d", a, b.set, len(prog), b.max)
			}
		}
	}
}

func TestEverySetIsValidBPF(t *testing.T) {
	for _, a := range []Arch{AMD64, ARM64} {
		for bit := range promiseCount {
			for _, s := range []Set{1 << bit, All() &^ (1 << bit)} {
				prog, err := Compile(s, Options{Arch: a, SelfPID: testPID, Cookie: testCookie, Loader: Rpath, FileExec: true})
				if err != nil {
					t.Fatalf("%s %q: %v", a, s, err)
				}
				if _, err := bpf.NewVM(prog.Instructions()); err != nil {
					t.Fatalf("%s %q: not a valid program: %v", a, s, err)
				}
			}
		}
	}
}
