package main

import (
	"runtime"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
	"golang.org/x/sys/unix"
)

// Defaults of the reference tool for limits not given on the command line.
const (
	defaultFileSize = 256_000_000 // -F
	defaultNoFile   = 64          // -O
	fallbackMemory  = 4 << 30     // -M when sysinfo fails
)

// limitOrder is the order the reference applies limits in; RLIMIT_NOFILE is
// applied last by the shim whatever its position.
var limitOrder = []int{unix.RLIMIT_CPU, unix.RLIMIT_FSIZE, unix.RLIMIT_AS, unix.RLIMIT_NPROC, unix.RLIMIT_NOFILE}

// finishLimits turns the given limits plus the reference's defaults into the
// policy's rlimits. A value of zero or less leaves the resource inherited.
// RLIMIT_CPU is taken as plain seconds: the reference's scaling by the CPU's
// base frequency (CPUID leaf 0x16) is not reproduced.
func finishLimits(given map[int]int64) []sandbox.Rlimit {
	var out []sandbox.Rlimit
	for _, res := range limitOrder {
		n, ok := given[res]
		if !ok {
			n = defaultLimit(res)
		}
		if n <= 0 {
			continue
		}
		hard := uint64(n)
		if res == unix.RLIMIT_FSIZE {
			hard = uint64(n) + uint64(n)/2
		}
		out = append(out, sandbox.Rlimit{Resource: res, Cur: uint64(n), Max: hard})
	}
	return out
}

// defaultLimit is the reference's default for res: the machine's RAM for
// RLIMIT_AS, CPUs plus running processes for RLIMIT_NPROC, 256 MB per file,
// 64 fds, CPU time inherited.
func defaultLimit(res int) int64 {
	switch res {
	case unix.RLIMIT_FSIZE:
		return defaultFileSize
	case unix.RLIMIT_NOFILE:
		return defaultNoFile
	case unix.RLIMIT_AS:
		var si unix.Sysinfo_t
		if unix.Sysinfo(&si) != nil {
			return fallbackMemory
		}
		return int64(si.Totalram) * int64(si.Unit)
	case unix.RLIMIT_NPROC:
		var si unix.Sysinfo_t
		if unix.Sysinfo(&si) != nil {
			return int64(runtime.NumCPU()) * 100
		}
		return int64(runtime.NumCPU()) + int64(si.Procs)
	}
	return 0
}
