package promises

import "slices"

// verdict is one way a call can be decided: when cond holds, action.
type verdict struct {
	cond   condition
	action Action
}

// policy is the rule model of one (Set, Options) pair laid out by syscall
// number: the compiler's input after the gather pass. Compile keeps it on
// its stack; the matchers and values the compiler makes itself (options
// bound in, merged set tests) come from two arenas, so that making one
// costs no allocation of its own.
type policy struct {
	penalty Action
	// slots[nr] lists the verdicts for nr in order; the first whose
	// condition holds decides, and no match means the penalty.
	slots [firstUnknownSyscall][]verdict
	// enosys[nr] forces ENOSYS for nr whatever the slots say.
	enosys [firstUnknownSyscall]bool
	// matchers and values are the arenas. A condition or value list taken
	// from them is never changed afterwards, so an append that moves an
	// arena leaves earlier ones valid.
	matchers []matcher
	values   []uint64
}

// Arena sizes that hold what any set needs without growing.
const (
	matcherArenaSize = 32
	valueArenaSize   = 256
)

// gather is the first pass: it collects every rule s and o grant, allows
// before notifications, with Options values bound into the conditions.
func (p *policy) gather(s Set, o Options) {
	c := catalogFor(o.Arch)
	p.penalty, _ = o.Penalty.action()
	p.matchers = make([]matcher, 0, matcherArenaSize)
	p.values = make([]uint64, 0, valueArenaSize)
	for _, nr := range c.enosys {
		p.enosys[nr] = true
	}
	var buf [2*promiseCount + 4]ruleSource
	sources := append(buf[:0], ruleSource{rules: c.always, action: ActionAllow})
	for bit := range promiseCount {
		if s&(1<<bit) != 0 {
			sources = append(sources, ruleSource{rules: c.promise(bit), action: ActionAllow})
		}
	}
	if o.Cookie != 0 {
		m := matcher{arg: cookieArg, name: "args[5]", op: opEqual, wide: true,
			values: p.keep(o.Cookie), form: formCookie}
		sources = append(sources, ruleSource{numbers: c.cookie, cond: p.keepCondition(m), action: ActionAllow})
	}
	if o.FileExec {
		sources = append(sources, ruleSource{rules: c.fileExec, action: ActionAllow})
	}
	if o.Loader != 0 {
		for bit := range promiseCount {
			if (o.Loader&^s)&(1<<bit) != 0 {
				sources = append(sources, ruleSource{rules: c.promise(bit), action: ActionNotify})
			}
		}
		sources = append(sources, ruleSource{rules: c.loaderDone, action: ActionNotify})
	}
	p.fill(sources, o.SelfPID)
}

// ruleSource is a list of rules that all yield one action: rules, or the
// calls numbers under the one condition cond.
type ruleSource struct {
	rules   []syscallRule
	numbers []uint32
	cond    condition
	action  Action
}

// each calls f with every number and condition of src.
func (src ruleSource) each(f func(nr uint32, cond condition)) {
	for _, r := range src.rules {
		f(r.nr, r.cond)
	}
	for _, nr := range src.numbers {
		f(nr, src.cond)
	}
}

// fill lays sources out by number, in order, carving every slot out of one
// allocation.
func (p *policy) fill(sources []ruleSource, self uint32) {
	var counts [firstUnknownSyscall]int32
	total := 0
	for _, src := range sources {
		src.each(func(nr uint32, _ condition) {
			counts[nr]++
			total++
		})
	}
	backing := make([]verdict, total)
	for nr, n := range counts {
		p.slots[nr], backing = backing[:0:n], backing[n:]
	}
	for _, src := range sources {
		src.each(func(nr uint32, cond condition) {
			p.slots[nr] = append(p.slots[nr], verdict{cond: p.bindSelf(cond, self), action: src.action})
		})
	}
}

// keep stores values in the value arena and returns them.
func (p *policy) keep(values ...uint64) []uint64 {
	start := len(p.values)
	p.values = append(p.values, values...)
	return p.values[start:len(p.values):len(p.values)]
}

// keepCondition stores c in the matcher arena and returns the copy.
func (p *policy) keepCondition(c ...matcher) condition {
	start := len(p.matchers)
	p.matchers = append(p.matchers, c...)
	return p.matchers[start:len(p.matchers):len(p.matchers)]
}

// union stores the sorted union of x and y in the value arena and returns
// it.
func (p *policy) union(x, y []uint64) []uint64 {
	start := len(p.values)
	p.values = append(append(p.values, x...), y...)
	u := p.values[start:]
	slices.Sort(u)
	u = slices.Compact(u)
	p.values = p.values[:start+len(u)]
	return u[:len(u):len(u)]
}

// bindSelf returns c with Options.SelfPID written into its own-pid matchers.
func (p *policy) bindSelf(c condition, self uint32) condition {
	if !slices.ContainsFunc(c, func(m matcher) bool { return m.self }) {
		return c
	}
	bound := p.keepCondition(c...)
	for i, m := range bound {
		if m.self {
			bound[i].values = p.keep(uint64(self))
			bound[i].self = false
		}
	}
	return bound
}

// simplify is the second pass: per number it drops verdicts an earlier
// unconditional one shadows, duplicates, and verdicts that cannot change the
// outcome, and merges single-argument set tests of the same kind, so that
// every promise's "cmd in {…}" on one call becomes one test.
func (p *policy) simplify() {
	for nr, vs := range &p.slots {
		if p.enosys[nr] {
			p.slots[nr] = nil
			continue
		}
		p.slots[nr] = p.simplifyVerdicts(vs)
	}
}

// simplifyVerdicts returns vs without redundant verdicts, reusing its
// storage.
func (p *policy) simplifyVerdicts(vs []verdict) []verdict {
	out := vs[:0]
	for _, v := range vs {
		if slices.ContainsFunc(out, func(o verdict) bool { return len(o.cond) == 0 }) {
			break
		}
		if slices.ContainsFunc(out, func(o verdict) bool { return o.action == v.action && o.cond.equal(v.cond) }) {
			continue
		}
		if i := slices.IndexFunc(out, func(o verdict) bool { return mergeable(o, v) }); i >= 0 {
			out[i] = p.merge(out[i], v)
			continue
		}
		out = append(out, v)
	}
	for len(out) > 0 && out[len(out)-1].action == p.penalty {
		out = out[:len(out)-1]
	}
	return out
}

// mergeable reports whether a and b are one-matcher set tests of the same
// argument bits with the same action, so that one set test can replace both.
// Later verdicts only ever have the same or a later action, so moving b up to
// a's place cannot change which action wins.
func mergeable(a, b verdict) bool {
	if a.action != b.action || len(a.cond) != 1 || len(b.cond) != 1 {
		return false
	}
	ma, mb := a.cond[0], b.cond[0]
	return setLike(ma) && setLike(mb) && ma.arg == mb.arg && setMask(ma) == setMask(mb)
}

// setLike reports whether m tests membership of the low 32 bits in a set.
func setLike(m matcher) bool {
	return !m.wide && !m.self && (m.op == opInSet || m.op == opEqual)
}

// setMask returns the bits of the argument a set-like matcher compares.
func setMask(m matcher) uint64 {
	if m.op == opEqual {
		return low32
	}
	return m.mask
}

// merge returns the set test accepting what a or b accepts. Merged
// matchers live only inside the compiler, so they carry no text.
func (p *policy) merge(a, b verdict) verdict {
	ma, mb := a.cond[0], b.cond[0]
	m := matcher{arg: ma.arg, name: ma.name, op: opInSet, mask: setMask(ma), values: p.union(ma.values, mb.values)}
	return verdict{cond: p.keepCondition(m), action: a.action}
}
