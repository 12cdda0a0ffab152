package promises

import (
	"fmt"
	"runtime"
	"sync"
)

// Arch is a system-call ABI the compiler has a table for.
type Arch int

// The supported architectures.
const (
	AMD64 Arch = iota
	ARM64
)

// NativeArch returns the architecture this program was built for; it is
// AMD64 on any architecture without a table, so callers that must refuse
// such machines check runtime.GOARCH themselves.
func NativeArch() Arch {
	if runtime.GOARCH == "arm64" {
		return ARM64
	}
	return AMD64
}

// String returns the kernel's name for the architecture.
func (a Arch) String() string {
	switch a {
	case AMD64:
		return "x86_64"
	case ARM64:
		return "aarch64"
	}
	return fmt.Sprintf("Arch(%d)", int(a))
}

// The seccomp_data.arch values (AUDIT_ARCH_*) of the supported ABIs.
const (
	auditArchX8664   = 0xc000003e
	auditArchAArch64 = 0xc00000b7
)

// AuditArch returns the AUDIT_ARCH_* value the kernel reports in
// seccomp_data.arch for a native system call on a.
func AuditArch(a Arch) uint32 {
	if a == ARM64 {
		return auditArchAArch64
	}
	return auditArchX8664
}

// valid reports whether a names a supported architecture.
func (a Arch) valid() bool { return a == AMD64 || a == ARM64 }

// syscallTable returns the names of a's system calls, indexed by number;
// numbers without a system call have "".
func syscallTable(a Arch) []string {
	if a == ARM64 {
		return aarch64Syscalls[:]
	}
	return x8664Syscalls[:]
}

// syscallNumbers maps system-call names to numbers, one map per Arch,
// each built on first use: a run compiles for one architecture, and every
// map costs start-up time (hundreds of inserts in a fresh heap).
var syscallNumbers = [2]func() map[string]uint32{
	AMD64: sync.OnceValue(func() map[string]uint32 { return numberMap(AMD64) }),
	ARM64: sync.OnceValue(func() map[string]uint32 { return numberMap(ARM64) }),
}

// numberMap maps a's system-call names to their numbers.
func numberMap(a Arch) map[string]uint32 {
	table := syscallTable(a)
	m := make(map[string]uint32, len(table))
	for nr, name := range table {
		if name != "" {
			m[name] = uint32(nr)
		}
	}
	return m
}

// SyscallName returns the kernel's name for system call nr on a, or
// "unknown" when a has no such call.
func SyscallName(a Arch, nr uint32) string {
	table := syscallTable(a)
	if int64(nr) < int64(len(table)) && table[nr] != "" {
		return table[nr]
	}
	return "unknown"
}

// SyscallNumber returns the number of the system call called name on a.
func SyscallNumber(a Arch, name string) (uint32, bool) {
	if !a.valid() {
		return 0, false
	}
	nr, ok := syscallNumbers[a]()[name]
	return nr, ok
}
