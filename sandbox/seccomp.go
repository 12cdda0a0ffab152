package sandbox

import "errors"

// targetKind says how the kernel will load the program.
type targetKind int

const (
	kindStatic targetKind = iota
	kindDynamic
)

// inspectTarget reads the ELF header of the opened program.
func inspectTarget(fd int) (targetKind, error) {
	return kindStatic, errors.New("sandbox: inspectTarget: skeleton")
}

// filterPlan is the compiled seccomp filter and what it needs at exec time.
type filterPlan struct{}

// planFilter compiles the filter before anything irreversible happens.
func planFilter(p *Policy, kind targetKind) (*filterPlan, error) {
	return nil, errors.New("sandbox: planFilter: skeleton")
}

// environ returns env as the program must see it (LD_PRELOAD for the loader phase).
func (f *filterPlan) environ(env []string) []string { return env }

// extraUnveils lists paths the filter plan needs readable (the preload object).
func (f *filterPlan) extraUnveils() []string { return nil }

// installAndExec installs the filter and execs progFD; it returns only on failure.
func (f *filterPlan) installAndExec(progFD int, argv, env []string) error {
	return errors.New("sandbox: installAndExec: skeleton")
}
