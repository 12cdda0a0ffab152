// Package sandbox applies a pledge policy to the calling process and execs the
// target program: the shim behind both the pledge command line and the Nomad
// driver.
package sandbox

import "github.com/nomad-pledge-driver/nomad-pledge-driver/promises"

// Policy is everything the shim applies before it execs the target. The zero
// value (plus NotifyFD = -1) is the strictest useful policy: no promises, no
// unveils, fds normalised, capabilities dropped, ids unchanged.
type Policy struct {
	// Promises the program keeps once it runs (the user's set; the loader
	// phase of dynamic programs is handled by the filter plan).
	Promises promises.Set
	// Penalty for a denied syscall: EPERM (default) or kill.
	Penalty promises.Penalty
	// Report asks for each denied syscall to be reported by a supervisor.
	Report bool
	// NotifyFD is a unix socket on which the shim hands the seccomp listener
	// to a supervisor that already runs (the Nomad driver); -1 for none.
	NotifyFD int
	// SelfSupervise asks the shim to supervise the program itself when
	// a supervisor is needed and NotifyFD is -1 (the pledge command line):
	// it forks the program and serves its notifications in-process, then
	// exits the way the program did.
	SelfSupervise bool

	// Unveils are the user's rules, applied after the automatic ones.
	Unveils []Unveil
	// NoUnveil (-V) skips Landlock entirely: no rule, not even the
	// automatic ones, is applied.
	NoUnveil bool
	// AutoUnveil adds the automatic unveils of the reference CLI: the
	// program, library directories for dynamic programs, and the per-promise
	// files of PromiseUnveils.
	AutoUnveil bool

	// Rlimits are applied in order, "softly" (a value above the hard limit
	// is clamped to it, and failures are warnings), except RLIMIT_NOFILE,
	// which is applied last, just before the filter, and must succeed.
	// Without an RLIMIT_NOFILE entry the program inherits the shim's
	// limit, whose soft value the Go runtime raised to the hard one.
	Rlimits []Rlimit
	// VeryNice (-n) makes the program nice 19, I/O class idle, SCHED_IDLE.
	VeryNice bool

	// UID and GID switch identity before sandboxing. As in the reference
	// tool, 0 means "not given": the ids are left unchanged.
	UID, GID uint32
	// Groups are the supplementary groups set when UID or GID is given;
	// empty means none besides GID.
	Groups []uint32
	// KeepCaps (-D) leaves the capability sets and bounding set alone.
	KeepCaps bool
	// AmbientCaps is a bit set (bit n = capability n, see ParseCapability)
	// of capabilities the program keeps as ambient capabilities, across
	// the uid switch, e.g. CAP_NET_BIND_SERVICE for a server run as nobody.
	AmbientCaps uint64

	// NoNormalizeFDs (-N) keeps inherited fds above 2 open in the program
	// and does not reopen closed standard fds on /dev/null.
	NoNormalizeFDs bool
	// Chroot (-c) is entered (chdir, then chroot) before the command is
	// looked up.
	Chroot string
	// Dir is the working directory of the program, entered after Chroot
	// and before the command is looked up.
	Dir string
	// Quiet suppresses the shim's warnings (rlimits it could not set).
	Quiet bool
}

// Rlimit is one resource limit: Resource is a unix.RLIMIT_* number.
type Rlimit struct {
	Resource int
	Cur, Max uint64
}
