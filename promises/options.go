package promises

import "fmt"

// LoaderDoneOption is the prctl option the loader-phase preload passes when
// the dynamic loader has finished; a filter compiled with Options.Loader
// routes it to the supervisor, which ends the loader phase. No kernel prctl
// has this number (it spells "PLDG").
const LoaderDoneOption = 0x504c4447

// Options are the compile-time inputs besides the promise set.
type Options struct {
	// Arch selects the system-call table and the AUDIT_ARCH value every
	// call must carry.
	Arch Arch
	// Penalty is the verdict for calls no rule allows.
	Penalty Penalty
	// SelfPID is the pid stdio's kill(pid == self) and tgkill(tgid == self)
	// rules compare with; it must be nonzero when stdio is granted or routed.
	SelfPID uint32
	// Cookie, when nonzero, allows execveat and sendmsg whose sixth argument
	// register (all 64 bits) equals it: the shim's own listener hand-off and
	// exec. After exec only the kernel's copy of the filter knows it.
	Cookie uint64
	// Loader names the promises the dynamic loader needs (normally Rpath).
	// Their rules, where the set does not already grant them, yield
	// USER_NOTIF instead of ALLOW, and so does prctl(LoaderDoneOption), so a
	// supervisor can let them through during the loader phase only.
	Loader Set
	// FileExec additionally allows mmap with PROT_EXEC of files (flags
	// without MAP_ANONYMOUS, MAP_LOCKED, MAP_NONBLOCK, MAP_HUGETLB), which
	// ld.so needs to map code.
	FileExec bool
}

// validate reports the first reason s and o cannot be compiled.
func (o Options) validate(s Set) error {
	if !o.Arch.valid() {
		return fmt.Errorf("promises: unknown architecture %d; valid: AMD64, ARM64", int(o.Arch))
	}
	if _, err := o.Penalty.action(); err != nil {
		return err
	}
	if extra := s &^ All(); extra != 0 {
		return fmt.Errorf("promises: set has bits %#x beyond the %d promises", uint32(extra), promiseCount)
	}
	if extra := o.Loader &^ All(); extra != 0 {
		return fmt.Errorf("promises: Options.Loader has bits %#x beyond the %d promises", uint32(extra), promiseCount)
	}
	if (s|o.Loader)&Stdio != 0 && o.SelfPID == 0 {
		return fmt.Errorf("promises: Options.SelfPID is 0; stdio's kill and tgkill rules need the pid of the process the filter is for")
	}
	return nil
}
