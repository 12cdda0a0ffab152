package promises

import (
	"syscall"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises/internal/int80"
	"golang.org/x/sys/unix"
)

// i386Getpid is getpid's number in the i386 table.
const i386Getpid = 20

// int80Getpid calls i386 getpid and fails with EIO if the result is not
// the pid, so an unfiltered run shows whether the kernel has the i386 ABI.
func int80Getpid() (uintptr, unix.Errno) {
	if r := int80.Syscall(i386Getpid); r != uintptr(unix.Getpid()) {
		return r, unix.EIO
	}
	return 0, 0
}

// archKernelCases are the kernel cases only x86_64 has: the i386 ABI.
var archKernelCases = map[string]kernelCase{
	// With every promise granted, the i386 call must still die.
	"int80 killed": {set: "stdio rpath wpath cpath dpath flock fattr inet unix dns tty recvfd proc exec id unveil sendfd settime prot_exec vminfo tmppath chown anet",
		call: int80Getpid, signal: syscall.SIGSYS},
}
