package main

// i386Getpid is getpid's number in the i386 table.
const i386Getpid = 20

// int80Syscall makes i386 system call nr through the int $0x80 gate.
func int80Syscall(nr uintptr) uintptr

// The i386 gate exists on x86_64 only.
func init() {
	calls["int80"] = func(string) error { reach(); int80Syscall(i386Getpid); return nil }
}
