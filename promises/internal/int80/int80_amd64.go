package int80

// Syscall makes i386 system call nr with no arguments through int $0x80 and
// returns the raw result register.
func Syscall(nr uintptr) uintptr
