package promises

import "slices"

// emitBlock emits a check block: each verdict's condition in turn, a failed
// one falling through to the next, the last to the penalty. Every matcher
// loads its own argument word, so no test relies on what an earlier one
// left in the accumulator. When the last verdict's remaining matchers are
// exactly one of the later blocks, the block jumps there instead of
// repeating them (stdio's mmap ends in mprotect's test).
func emitBlock(a *assembler, b block, later []block, ret *returns, penalty Action) {
	a.bind(b.label)
	for i, v := range b.verdicts {
		if i == len(b.verdicts)-1 {
			emitLastCondition(a, v, later, ret.label(v.action), ret.label(penalty))
			return
		}
		fail := a.newLabel()
		emitCondition(a, v.cond, ret.label(v.action), fail)
		a.bind(fail)
	}
}

// emitLastCondition emits the last verdict of a block, sharing its tail with
// a later block when one consists of exactly that tail.
func emitLastCondition(a *assembler, v verdict, later []block, pass, fail label) {
	for k := 1; k < len(v.cond); k++ {
		tail := []verdict{{cond: v.cond[k:], action: v.action}}
		for _, other := range later {
			if verdictsEqual(other.verdicts, tail) {
				emitCondition(a, v.cond[:k], other.label, fail)
				return
			}
		}
	}
	emitCondition(a, v.cond, pass, fail)
}

// emitCondition emits the matchers of c, going to pass when all hold and to
// fail at the first that does not.
func emitCondition(a *assembler, c condition, pass, fail label) {
	if len(c) == 0 {
		a.jump(pass)
		return
	}
	for i, m := range c {
		next := pass
		if i < len(c)-1 {
			next = a.newLabel()
		}
		emitMatcher(a, m, next, fail)
		if i < len(c)-1 {
			a.bind(next)
		}
	}
}

// load emits a load of the low (hi false) or high half of args[arg].
func load(a *assembler, arg int, hi bool) {
	a.load(argOffset(arg, hi))
}

// emitMatcher emits one argument test.
func emitMatcher(a *assembler, m matcher, pass, fail label) {
	switch {
	case m.op == opIsNull:
		emitEqual64(a, m.arg, 0, pass, fail)
	case m.op == opEqual && m.wide:
		emitEqual64(a, m.arg, m.values[0], pass, fail)
	case m.op == opEqual:
		load(a, m.arg, false)
		a.jumpIf(bpfJumpEq, uint32(m.values[0]), pass, fail)
	case m.op == opMaskedEqual:
		load(a, m.arg, false)
		a.and(uint32(m.mask))
		a.jumpIf(bpfJumpEq, uint32(m.values[0]), pass, fail)
	case m.op == opBitsClear:
		load(a, m.arg, false)
		a.jumpIf(bpfJumpSet, uint32(m.mask), fail, pass)
	case m.op == opInSet:
		load(a, m.arg, false)
		if uint32(m.mask) != low32 {
			a.and(uint32(m.mask))
		}
		emitInSet(a, m.values, pass, fail)
	}
}

// emitEqual64 tests both halves of args[arg] against v.
func emitEqual64(a *assembler, arg int, v uint64, pass, fail label) {
	high := a.newLabel()
	load(a, arg, false)
	a.jumpIf(bpfJumpEq, uint32(v), high, fail)
	a.bind(high)
	load(a, arg, true)
	a.jumpIf(bpfJumpEq, uint32(v>>32), pass, fail)
}

// valueRange is the closed range [lo, hi] of set members.
type valueRange struct{ lo, hi uint32 }

// maxInlineValues is how many set members the set-test passes handle on the
// stack; larger sets work, at the cost of an allocation.
const maxInlineValues = 32

// ranges appends to out the maximal ranges of consecutive numbers in values.
func ranges(values []uint64, out []valueRange) []valueRange {
	var buf [maxInlineValues]uint64
	sorted := append(buf[:0], values...)
	slices.Sort(sorted)
	for _, v := range slices.Compact(sorted) {
		if n := len(out); n > 0 && uint64(out[n-1].hi)+1 == v {
			out[n-1].hi = uint32(v)
			continue
		}
		out = append(out, valueRange{uint32(v), uint32(v)})
	}
	return out
}

// emitInSet tests the accumulator for membership in values: one "jeq" per
// lone value, and a "jge"/"jgt" pair (just a "jgt" from 0) per range of three
// or more.
func emitInSet(a *assembler, values []uint64, pass, fail label) {
	var rangeBuf, itemBuf [maxInlineValues]valueRange
	items := itemBuf[:0]
	for _, r := range ranges(values, rangeBuf[:0]) {
		if r.hi-r.lo >= 2 || (r.lo == 0 && r.hi > 0) {
			items = append(items, r)
			continue
		}
		for v := r.lo; v <= r.hi; v++ {
			items = append(items, valueRange{v, v})
		}
	}
	for i, r := range items {
		next := fail
		if i < len(items)-1 {
			next = a.newLabel()
		}
		switch {
		case r.lo == r.hi:
			a.jumpIf(bpfJumpEq, r.lo, pass, next)
		case r.lo == 0:
			a.jumpIf(bpfJumpGt, r.hi, next, pass)
		default:
			inRange := a.newLabel()
			a.jumpIf(bpfJumpGe, r.lo, inRange, next)
			a.bind(inRange)
			a.jumpIf(bpfJumpGt, r.hi, next, pass)
		}
		if i < len(items)-1 {
			a.bind(next)
		}
	}
}
