package promises

import "slices"

// verdict is one way a call can be decided: when cond holds, action.
type verdict struct {
	cond   condition
	action Action
}

// policy is the rule model of one (Set, Options) pair laid out by syscall
// number: the compiler's input after the gather pass.
type policy struct {
	penalty Action
	// slots[nr] lists the verdicts for nr in order; the first whose
	// condition holds decides, and no match means the penalty.
	slots [firstUnknownSyscall][]verdict
	// enosys[nr] forces ENOSYS for nr whatever the slots say.
	enosys [firstUnknownSyscall]bool
}

// gather is the first pass: it collects every rule s and o grant, allows
// before notifications, with Options values bound into the conditions.
func gather(s Set, o Options) *policy {
	c := catalogFor(o.Arch)
	p := &policy{}
	p.penalty, _ = o.Penalty.action()
	for _, nr := range c.enosys {
		p.enosys[nr] = true
	}
	var sources []ruleSource
	sources = append(sources, ruleSource{c.always, ActionAllow})
	for bit := range promiseCount {
		if s&(1<<bit) != 0 {
			sources = append(sources, ruleSource{c.promises[bit], ActionAllow})
		}
	}
	if o.Cookie != 0 {
		cond := condition{equals64(cookieArg, "args[5]", o.Cookie, "args[5] == cookie")}
		cookie := make([]syscallRule, len(c.cookie))
		for i, nr := range c.cookie {
			cookie[i] = syscallRule{nr: nr, cond: cond}
		}
		sources = append(sources, ruleSource{cookie, ActionAllow})
	}
	if o.FileExec {
		sources = append(sources, ruleSource{c.fileExec, ActionAllow})
	}
	if o.Loader != 0 {
		for bit := range promiseCount {
			if (o.Loader&^s)&(1<<bit) != 0 {
				sources = append(sources, ruleSource{c.promises[bit], ActionNotify})
			}
		}
		sources = append(sources, ruleSource{c.loaderDone, ActionNotify})
	}
	p.fill(sources, o.SelfPID)
	return p
}

// ruleSource is a list of rules that all yield one action.
type ruleSource struct {
	rules  []syscallRule
	action Action
}

// fill lays sources out by number, in order, carving every slot out of one
// allocation.
func (p *policy) fill(sources []ruleSource, self uint32) {
	var counts [firstUnknownSyscall]int
	total := 0
	for _, src := range sources {
		for _, r := range src.rules {
			counts[r.nr]++
			total++
		}
	}
	backing := make([]verdict, total)
	for nr, n := range counts {
		p.slots[nr], backing = backing[:0:n], backing[n:]
	}
	for _, src := range sources {
		for _, r := range src.rules {
			p.slots[r.nr] = append(p.slots[r.nr], verdict{cond: bindSelf(r.cond, self), action: src.action})
		}
	}
}

// bindSelf returns c with Options.SelfPID written into its own-pid matchers.
func bindSelf(c condition, self uint32) condition {
	if !slices.ContainsFunc(c, func(m matcher) bool { return m.self }) {
		return c
	}
	bound := slices.Clone(c)
	for i, m := range bound {
		if m.self {
			bound[i].values = []uint64{uint64(self)}
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
	for nr, vs := range p.slots {
		if p.enosys[nr] {
			p.slots[nr] = nil
			continue
		}
		p.slots[nr] = simplifyVerdicts(vs, p.penalty)
	}
}

// simplifyVerdicts returns vs without redundant verdicts, reusing its
// storage.
func simplifyVerdicts(vs []verdict, penalty Action) []verdict {
	out := vs[:0]
	for _, v := range vs {
		if slices.ContainsFunc(out, func(o verdict) bool { return len(o.cond) == 0 }) {
			break
		}
		if slices.ContainsFunc(out, func(o verdict) bool { return o.action == v.action && o.cond.equal(v.cond) }) {
			continue
		}
		if i := slices.IndexFunc(out, func(o verdict) bool { return mergeable(o, v) }); i >= 0 {
			out[i] = merge(out[i], v)
			continue
		}
		out = append(out, v)
	}
	for len(out) > 0 && out[len(out)-1].action == penalty {
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

// merge returns the set test accepting what a or b accepts.
func merge(a, b verdict) verdict {
	ma, mb := a.cond[0], b.cond[0]
	values := append(slices.Clone(ma.values), mb.values...)
	slices.Sort(values)
	m := matcher{arg: ma.arg, name: ma.name, op: opInSet, mask: setMask(ma), values: slices.Compact(values),
		text: ma.text + " or " + mb.text}
	return verdict{cond: condition{m}, action: a.action}
}
