package promises

import (
	"encoding/binary"
	"slices"
)

// Data mirrors the kernel's struct seccomp_data: what a filter sees of a call.
type Data struct {
	Nr   uint32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// dataSize is sizeof(struct seccomp_data).
const dataSize = 64

// Offsets into struct seccomp_data on little-endian machines (x86_64 and
// arm64): the low half of an argument comes first.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// argOffset returns the offset of the low (hi false) or high half of args[i].
func argOffset(i int, hi bool) uint32 {
	off := uint32(offArgs + 8*i)
	if hi {
		off += 4
	}
	return off
}

// Marshal lays d out for golang.org/x/net/bpf's VM: every 32-bit word sits at
// its offset in the kernel's little-endian struct seccomp_data (so the low
// half of an argument comes first), but is stored big-endian, because the VM
// loads words big-endian where the kernel loads them in native order.
func (d Data) Marshal() []byte {
	b := make([]byte, dataSize)
	binary.BigEndian.PutUint32(b[offNr:], d.Nr)
	binary.BigEndian.PutUint32(b[offArch:], d.Arch)
	binary.BigEndian.PutUint32(b[8:], uint32(d.IP))
	binary.BigEndian.PutUint32(b[12:], uint32(d.IP>>32))
	for i, a := range d.Args {
		binary.BigEndian.PutUint32(b[argOffset(i, false):], uint32(a))
		binary.BigEndian.PutUint32(b[argOffset(i, true):], uint32(a>>32))
	}
	return b
}

// Evaluate applies the rule model to one call directly, without compiling:
// the reference the compiled filters are tested against, and how a
// supervisor classifies a notification. s and o must pass Compile's checks.
//
// The order is the filter's: a foreign architecture kills; unknown and
// forced-ENOSYS numbers fail with ENOSYS; a call any granted rule accepts is
// allowed; one a loader rule accepts is notified; the rest get the penalty.
func Evaluate(s Set, o Options, d Data) Action {
	if d.Arch != AuditArch(o.Arch) {
		return ActionKillProcess
	}
	c := catalogFor(o.Arch)
	if d.Nr >= firstUnknownSyscall || slices.Contains(c.enosys, d.Nr) {
		return actionENOSYS
	}
	if anyRuleMatches(c.always, d, o.SelfPID) || grantedBy(c, s, d, o.SelfPID) {
		return ActionAllow
	}
	if o.Cookie != 0 && slices.Contains(c.cookie, d.Nr) && d.Args[cookieArg] == o.Cookie {
		return ActionAllow
	}
	if o.FileExec && anyRuleMatches(c.fileExec, d, o.SelfPID) {
		return ActionAllow
	}
	if o.Loader != 0 && (grantedBy(c, o.Loader&^s, d, o.SelfPID) || anyRuleMatches(c.loaderDone, d, o.SelfPID)) {
		return ActionNotify
	}
	penalty, _ := o.Penalty.action()
	return penalty
}

// grantedBy reports whether a rule of a promise in s accepts d.
func grantedBy(c *archCatalog, s Set, d Data, self uint32) bool {
	for bit := range promiseCount {
		if s&(1<<bit) != 0 && anyRuleMatches(c.promise(bit), d, self) {
			return true
		}
	}
	return false
}

// anyRuleMatches reports whether one of rules accepts d.
func anyRuleMatches(rules []syscallRule, d Data, self uint32) bool {
	for _, r := range rules {
		if r.nr == d.Nr && r.cond.match(d.Args, self) {
			return true
		}
	}
	return false
}
