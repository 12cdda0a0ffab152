package sandbox

import (
	"errors"
	"fmt"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// newestKnownABI is the newest Landlock ABI go-landlock v0.11 describes; a
// newer kernel is used at this level.
const newestKnownABI = 11

// LandlockABI is the Landlock ABI version the shim enforces unveils with: the
// kernel's, capped at the newest one go-landlock knows; 0 means Landlock is
// unavailable (not built, or not in the lsm= boot list) and unveils cannot be
// enforced.
func LandlockABI() int {
	v, err := ll.LandlockGetABIVersion()
	if err != nil || v < 0 {
		return 0
	}
	return min(v, newestKnownABI)
}

// ruleSpec is one resolved unveil about to become a Landlock rule.
type ruleSpec struct {
	access landlock.AccessFSSet
	path   string
	// optional rules are skipped when the path is missing (automatic ones);
	// the others fail the sandbox with exit status 20 on any error but
	// ENOENT, which the reference ignores for -v too.
	optional bool
}

// rulesetBuilder collects rules for one Landlock ruleset.
type rulesetBuilder struct {
	abi   int
	rules []landlock.Rule
}

// supported are the rights of the handled set the running ABI knows. REFER
// must go on ABI 1: go-landlock's best-effort mode would otherwise drop the
// whole ruleset rather than the one right.
func (b *rulesetBuilder) supported() landlock.AccessFSSet {
	a := accessHandled
	if b.abi < 2 {
		a &^= ll.AccessFSRefer
	}
	if b.abi < 3 {
		a &^= ll.AccessFSTruncate
	}
	return a
}

// add resolves u's path and adds it with the rights of its letters, cut to
// file rights when the target is not a directory.
func (b *rulesetBuilder) add(u Unveil, optional bool) error {
	path, isDir, ok, err := followLinks(u.Path)
	if err != nil {
		return fail(ExitUnveil, "unveil("+u.Path+", "+u.Perm.String()+")", err)
	}
	if ok {
		b.addResolved(ruleSpec{access: u.Perm.access(), path: path, optional: optional}, isDir)
	}
	return nil
}

// addResolved adds a rule for a path whose symlinks are resolved, cut to file
// rights unless it is a directory.
func (b *rulesetBuilder) addResolved(r ruleSpec, isDir bool) {
	if !isDir {
		r.access &= accessFile
	}
	r.access &= b.supported()
	if r.access == 0 {
		return // a path with no rights is simply not unveiled
	}
	rule := landlock.PathAccess(r.access, r.path)
	if r.optional {
		rule = rule.IgnoreIfMissing()
	}
	b.rules = append(b.rules, rule)
}

// ruleset creates the ruleset fd; the caller enforces it with restrictSelf.
func (b *rulesetBuilder) ruleset() (fd int, flags uint32, err error) {
	cfg := landlock.Config{HandledAccessFS: b.supported()}.BestEffort()
	fd, flags, err = cfg.NewRulesetFD(b.rules...)
	if err != nil {
		return -1, 0, fail(ExitUnveil, "unveil", err)
	}
	if fd < 0 {
		return -1, 0, fail(ExitUnveil, "unveil", errors.New("landlock is not available: "+
			"unveils need Linux 5.13+ booted with landlock in lsm=; use -V to run without them"))
	}
	return fd, flags, nil
}

// restrictSelf enforces the ruleset on the calling thread, which must be the
// locked thread that execs; no_new_privs must already be set.
func restrictSelf(fd int, flags uint32) error {
	defer unix.Close(fd)
	if err := ll.LandlockRestrictSelf(fd, flags); err != nil {
		return fail(ExitUnveil, fmt.Sprintf("landlock_restrict_self (ABI %d)", LandlockABI()), err)
	}
	return nil
}
