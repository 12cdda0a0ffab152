// Package int80 makes i386 system calls from a 64-bit x86 process with the
// legacy "int $0x80" gate, so tests can check that a filter kills such calls
// instead of letting them through under another ABI's numbers. It exists on
// amd64 only.
package int80
