package sandbox

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LandlockABI is the Landlock ABI version the shim enforces unveils with,
// the kernel's; 0 means Landlock is unavailable (not built, or not in the
// lsm= boot list) and unveils cannot be enforced. The rights the shim uses
// need at most ABI 3 (refer: 2, truncate: 3); newer ABIs handle the same
// rights.
func LandlockABI() int {
	v, _, e := syscall.RawSyscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if e != 0 || int(v) < 0 {
		return 0
	}
	return int(v)
}

// The shim talks to Landlock with raw system calls and the constants of
// golang.org/x/sys/unix: it has already resolved every path to an open fd,
// and the domain must go on the one locked thread that execs, not on the
// others, which a plain landlock_restrict_self does.

// rule is one Landlock path-beneath rule; owned fds are closed with the
// builder.
type rule struct {
	fd     int
	access accessFS
	owned  bool
}

// rulesetBuilder collects rules for one Landlock ruleset.
type rulesetBuilder struct {
	abi   int
	rules []rule
	// seen holds the paths already resolved to an fd (the automatic
	// unveils name /usr/lib both directly and through /lib), so that each
	// is opened once.
	seen map[string]resolvedPath
}

// newRulesetBuilder returns a builder with room for n rules, so that
// adding them does not grow its slice and map step by step.
func newRulesetBuilder(abi, n int) *rulesetBuilder {
	return &rulesetBuilder{abi: abi, rules: make([]rule, 0, n), seen: make(map[string]resolvedPath, 2*n)}
}

// supported are the rights of the handled set the running ABI knows.
func (b *rulesetBuilder) supported() accessFS {
	a := accessHandled
	if b.abi < 2 {
		a &^= unix.LANDLOCK_ACCESS_FS_REFER
	}
	if b.abi < 3 {
		a &^= unix.LANDLOCK_ACCESS_FS_TRUNCATE
	}
	return a
}

// add resolves u's path and adds it with the rights of its letters, cut to
// file rights when the target is not a directory. Paths that do not exist
// are skipped (the reference ignores ENOENT for -v too); any other error
// fails the sandbox with exit status 20.
func (b *rulesetBuilder) add(u Unveil) error {
	if r, ok := b.seen[u.Path]; ok {
		b.addFD(r.fd, u.Perm.access(), r.isDir, false)
		return nil
	}
	r, ok, err := followLinks(u.Path)
	if err != nil {
		return fail(ExitUnveil, "unveil("+u.Path+", "+u.Perm.String()+")", err)
	}
	if !ok {
		return nil
	}
	if b.addFD(r.fd, u.Perm.access(), r.isDir, true) {
		if b.seen == nil {
			b.seen = make(map[string]resolvedPath)
		}
		b.seen[u.Path] = r
		b.seen[r.path] = r
	}
	return nil
}

// addFD adds a rule for an open file, cut to file rights unless it is a
// directory; owned fds are closed by close. It reports whether the fd was
// kept (an owned fd given no rights is closed at once).
func (b *rulesetBuilder) addFD(fd int, access accessFS, isDir, owned bool) bool {
	if !isDir {
		access &= accessFile
	}
	access &= b.supported()
	if access == 0 {
		if owned {
			unix.Close(fd)
		}
		return false // a path with no rights is simply not unveiled
	}
	b.rules = append(b.rules, rule{fd: fd, access: access, owned: owned})
	return true
}

// close closes the fds the builder owns. They were opened one after the
// other, so they are mostly one run of consecutive numbers, closed with one
// close_range each rather than one close per rule.
func (b *rulesetBuilder) close() {
	var fds []int
	for _, r := range b.rules {
		if r.owned {
			fds = append(fds, r.fd)
		}
	}
	closeRuns(fds)
	b.rules, b.seen = nil, nil
}

// closeRuns closes fds, distinct descriptors this process owns: each run
// of consecutive numbers with one close_range, which closes only those.
func closeRuns(fds []int) {
	slices.Sort(fds)
	for i := 0; i < len(fds); {
		j := i + 1
		for j < len(fds) && fds[j] == fds[j-1]+1 {
			j++
		}
		if j-i == 1 || unix.CloseRange(uint(fds[i]), uint(fds[j-1]), 0) != nil {
			for _, fd := range fds[i:j] {
				unix.Close(fd)
			}
		}
		i = j
	}
}

// ruleset creates the ruleset fd with every rule; the caller enforces it
// with restrictSelf.
func (b *rulesetBuilder) ruleset() (int, error) {
	defer b.close()
	if b.abi == 0 {
		return -1, fail(ExitUnveil, "unveil", errors.New("landlock is not available: "+
			"unveils need Linux 5.13+ booted with landlock in lsm=; use -V to run without them"))
	}
	// Only handled_access_fs is passed (size 8, which every ABI accepts):
	// network rights and scopes are left to the promises.
	attr := unix.LandlockRulesetAttr{Handled_access_fs: uint64(b.supported())}
	fd, _, e := syscall.RawSyscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr.Handled_access_fs), 0)
	if e != 0 {
		return -1, fail(ExitUnveil, fmt.Sprintf("landlock_create_ruleset (ABI %d)", b.abi), e)
	}
	for _, r := range b.rules {
		beneath := unix.LandlockPathBeneathAttr{Allowed_access: uint64(r.access), Parent_fd: int32(r.fd)}
		_, _, e := syscall.RawSyscall6(unix.SYS_LANDLOCK_ADD_RULE, fd, unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&beneath)), 0, 0, 0)
		if e != 0 {
			unix.Close(int(fd))
			return -1, fail(ExitUnveil, fmt.Sprintf("landlock_add_rule(%s, fd %d)", r.access, r.fd), e)
		}
	}
	return int(fd), nil
}

// restrictSelf enforces the ruleset on the calling thread, which must be the
// locked thread that execs; no_new_privs must already be set.
func restrictSelf(fd int) error {
	defer unix.Close(fd)
	if _, _, e := syscall.RawSyscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(fd), 0, 0); e != 0 {
		return fail(ExitUnveil, fmt.Sprintf("landlock_restrict_self (ABI %d)", LandlockABI()), e)
	}
	return nil
}
