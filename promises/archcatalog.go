package promises

import "sync"

// syscallRule is a catalog rule resolved to one architecture's number.
type syscallRule struct {
	nr   uint32
	cond condition
}

// archCatalog is the catalog with names resolved for one architecture.
type archCatalog struct {
	// promises[bit] resolves that promise's rules on first use.
	promises   [promiseCount]func() []syscallRule
	always     []syscallRule
	enosys     []uint32
	fileExec   []syscallRule
	loaderDone []syscallRule
	cookie     []uint32
}

// resolve maps rules to a's numbers, dropping names a lacks.
func resolve(a Arch, rules []rule) []syscallRule {
	var out []syscallRule
	for _, r := range rules {
		if nr, ok := SyscallNumber(a, r.syscall); ok {
			out = append(out, syscallRule{nr: nr, cond: r.cond})
		}
	}
	return out
}

// resolveNames maps names to a's numbers, dropping names a lacks.
func resolveNames(a Arch, names []string) []uint32 {
	var out []uint32
	for _, n := range names {
		if nr, ok := SyscallNumber(a, n); ok {
			out = append(out, nr)
		}
	}
	return out
}

// archCatalogs holds the resolved catalog of each architecture, each
// resolved on first use, so that a run pays only for the one it compiles
// for.
var archCatalogs = [2]func() *archCatalog{
	AMD64: sync.OnceValue(func() *archCatalog { return resolveCatalog(AMD64) }),
	ARM64: sync.OnceValue(func() *archCatalog { return resolveCatalog(ARM64) }),
}

// resolveCatalog resolves the catalog to a's numbers, each promise on first
// use.
func resolveCatalog(a Arch) *archCatalog {
	c := &archCatalog{
		always:     resolve(a, alwaysAllowed()),
		enosys:     resolveNames(a, forcedENOSYS),
		fileExec:   resolve(a, fileExecMmap()),
		loaderDone: resolve(a, loaderDone()),
		cookie:     resolveNames(a, cookieSyscalls),
	}
	for bit := range promiseCount {
		rules := catalog()[1<<bit]
		c.promises[bit] = sync.OnceValue(func() []syscallRule { return resolve(a, rules()) })
	}
	return c
}

// promise returns the resolved rules of promise number bit.
func (c *archCatalog) promise(bit int) []syscallRule { return c.promises[bit]() }

// catalogFor returns the resolved catalog of a, which must be valid.
func catalogFor(a Arch) *archCatalog { return archCatalogs[a]() }
