package sandbox

import (
	"errors"
	"runtime"
	"slices"

	"golang.org/x/sys/unix"
)

// The shim applies everything to one OS thread and execs from it: nice
// values, credentials, capabilities, no_new_privs, Landlock domains and
// seccomp filters are per thread. Locking in init pins the main goroutine to
// the main thread, so the process keeps its pid across the exec and the
// program starts as the thread-group leader.
func init() { runtime.LockOSThread() }

// Exec applies p to the calling process and executes argv with env. It never
// returns on success; an error is an *Error whose Code is the exit status the
// reference tool uses for that failure. Exec must run on the main goroutine
// (the thread locked in init).
//
// Order: standard fds; chroot/chdir; open the program; plan the filter (the
// last step that can fail for lack of resources before anything
// irreversible; the compilation itself runs on another goroutine alongside
// the next steps, so a policy the compiler rejects, with promise bits
// beyond the catalog, is reported only once it is awaited, with the same
// status); catch the signals to forward if the program will be started as
// a child; fds; nice; rlimits; capabilities; ids; no_new_privs (which
// Landlock needs); Landlock; wait for the compiled filter; check the
// preload object is readable; RLIMIT_NOFILE; then either seccomp and
// execveat in place, or, when the plan forks (the pledge command line with
// a supervisor), a raw vfork whose child installs the filter and execs
// while this process supervises it and exits the way it does (see
// forkAndSupervise).
func Exec(p *Policy, argv, env []string) error {
	if len(argv) == 0 {
		return fail(ExitMissingTarget, "missing command", nil)
	}
	if !p.NoNormalizeFDs {
		if err := openStandardFDs(); err != nil {
			return err
		}
	}
	if err := enterDirs(p); err != nil {
		return err
	}
	prog, err := openProgram(argv[0], env)
	if err != nil {
		return err
	}
	tgt, err := inspectTarget(prog.fd)
	if err != nil {
		return fail(ExitExecFailed, prog.path, err)
	}
	plan, err := planFilter(p, tgt.kind)
	if err != nil {
		return asError(ExitPledge, "pledge("+p.Promises.String()+")", err)
	}
	if err := plan.connect(); err != nil {
		return asError(ExitPledge, "pledge("+p.Promises.String()+")", err)
	}
	var sigs *caughtSignals
	if plan.forks {
		if sigs, err = catchSignals(); err != nil {
			return err
		}
	}
	if err := restrictProcess(p); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fail(ExitPledge, "prctl(PR_SET_NO_NEW_PRIVS)", err)
	}
	if !p.NoUnveil {
		if err := unveil(p, prog, tgt, plan.extraUnveils(), env); err != nil {
			return err
		}
	}
	if err := plan.ready(); err != nil {
		return asError(ExitPledge, "pledge("+p.Promises.String()+")", err)
	}
	if err := plan.checkPreload(); err != nil {
		return err
	}
	if err := applyNoFile(p.Rlimits); err != nil {
		return err
	}
	dirfd, path, flags, err := prog.execName(len(tgt.interpreters) > 0)
	if err != nil {
		return err
	}
	env = plan.environ(scrubEnv(env))
	if plan.forks {
		return plan.forkAndSupervise(sigs, dirfd, path, flags, argv, env, prog.path, p.Report)
	}
	err = plan.installAndExec(dirfd, path, flags, argv, env)
	return asError(ExitExecFailed, prog.path+": execve failed", err)
}

// enterDirs enters the chroot (chdir first, as the reference does, so the
// working directory is inside it) and then the working directory.
func enterDirs(p *Policy) error {
	if p.Chroot != "" {
		if err := unix.Chdir(p.Chroot); err != nil {
			return fail(ExitChdir, "chdir("+p.Chroot+")", err)
		}
		if err := unix.Chroot(p.Chroot); err != nil {
			return fail(ExitChroot, "chroot("+p.Chroot+")", err)
		}
	}
	if p.Dir != "" {
		if err := unix.Chdir(p.Dir); err != nil {
			return fail(ExitChdir, "chdir("+p.Dir+")", err)
		}
	}
	return nil
}

// restrictProcess applies the process-wide parts of the policy that need
// privileges, in the reference's order: fds, nice, rlimits, capabilities,
// ids.
func restrictProcess(p *Policy) error {
	if !p.NoNormalizeFDs {
		if err := closeInheritedFDs(); err != nil {
			return err
		}
	}
	if p.VeryNice {
		if err := beVeryNice(); err != nil {
			return err
		}
	}
	applySoftLimits(p.Rlimits, p.Quiet)
	if !p.KeepCaps {
		if err := dropBoundingSet(p.AmbientCaps); err != nil {
			return err
		}
	}
	if p.AmbientCaps != 0 {
		if err := keepCapsAcrossSetuid(); err != nil {
			return err
		}
	}
	if err := switchIDs(p); err != nil {
		return err
	}
	if !p.KeepCaps || p.AmbientCaps != 0 {
		return limitCapabilities(p.AmbientCaps)
	}
	return nil
}

// unveil builds the Landlock ruleset (the program, the plan's files, the
// automatic unveils, then the user's) and enforces it on this thread, which
// Exec gave no_new_privs before, as landlock_restrict_self requires.
func unveil(p *Policy, prog program, tgt target, extra []string, env []string) error {
	abi := LandlockABI()
	if abi == 0 && len(p.Unveils) == 0 {
		return nil // like the reference: automatic unveils are best effort
	}
	var auto []Unveil
	if p.AutoUnveil {
		auto = PromiseUnveils(p.Promises, env)
		if tgt.kind == kindDynamic {
			auto = slices.Concat(dynamicUnveils, auto)
		}
	}
	b := newRulesetBuilder(abi, 1+len(tgt.interpreters)+len(extra)+len(auto)+len(p.Unveils))
	defer b.close()
	// The program is unveiled through its open fd, so the rule names the
	// inode that runs even if the path was replaced since the lookup.
	b.addFD(prog.fd, (PermRead | PermExec).access(), false, false)
	// A script's interpreters are part of the program: the kernel opens
	// each for execution.
	for _, path := range tgt.interpreters {
		if err := b.add(Unveil{PermRead | PermExec, path}); err != nil {
			return err
		}
	}
	for _, path := range extra {
		if err := b.add(Unveil{PermRead, path}); err != nil {
			return unreadableExtra(path, err)
		}
	}
	for _, u := range auto {
		if err := b.add(u); err != nil {
			return err
		}
	}
	for _, u := range p.Unveils {
		if err := b.add(u); err != nil {
			return err
		}
	}
	fd, err := b.ruleset()
	if err != nil {
		return err
	}
	return restrictSelf(fd)
}

// scrubEnv drops LD_PRELOAD and _PLEDGE from the inherited environment, as
// the reference does, so a caller cannot slip code into the loader phase of
// a dynamic program.
func scrubEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if hasKey(kv, "LD_PRELOAD") || hasKey(kv, "_PLEDGE") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func hasKey(kv, key string) bool {
	return len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key
}

// asError keeps the exit status of an *Error and gives any other error code.
func asError(code int, op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return fail(code, op, err)
}
