package promises

import "golang.org/x/net/bpf"

// run is a range of syscall numbers [start, end) that all go to target,
// except the listed single numbers.
type run struct {
	start, end uint32
	target     label
	exceptions []exception
}

// exception sends one number inside a run elsewhere.
type exception struct {
	nr     uint32
	target label
}

// single reports whether r is one number with no exceptions.
func (r run) single() bool { return r.end-r.start == 1 && len(r.exceptions) == 0 }

// maxExceptionRun bounds how many single numbers in a row become exceptions.
const maxExceptionRun = 8

// runs is the dispatch pass's first step: it groups targets (indexed by
// number) into maximal runs, the numbers from len(targets) on going to
// above, and then folds single numbers squeezed between two runs of the same
// target into exceptions of one run: a run boundary costs a comparison on
// each side, an exception one.
func runs(targets []label, above label) []run {
	var out []run
	push := func(r run) {
		out = append(out, r)
		last := len(out) - 1
		for j := last - 1; j >= 0 && last-j <= maxExceptionRun+1; j-- {
			if out[j].target == r.target && j < last-1 {
				for _, inner := range out[j+1 : last] {
					out[j].exceptions = append(out[j].exceptions, exception{nr: inner.start, target: inner.target})
				}
				out[j].exceptions = append(out[j].exceptions, r.exceptions...)
				out[j].end = r.end
				out = out[:j+1]
				return
			}
			if !out[j].single() {
				return
			}
		}
	}
	start := 0
	for nr := 1; nr <= len(targets); nr++ {
		if nr == len(targets) || targets[nr] != targets[start] {
			push(run{start: uint32(start), end: uint32(nr), target: targets[start]})
			start = nr
		}
	}
	push(run{start: uint32(len(targets)), end: 1<<32 - 1, target: above})
	return out
}

// emitDispatch emits a binary search over rs on the syscall number, which
// must be in the accumulator: each inner node is one "jge", each leaf its
// exceptions' "jeq"s before the jump to the run's target. Only the number is
// ever loaded on these paths, so the kernel's action cache can prove every
// unconditionally allowed number allowed and skip the filter for it.
func emitDispatch(a *assembler, rs []run) {
	if !needsCode(rs) {
		a.code = append(a.code, insn{kind: kindJump, ja: rs[0].target})
		return
	}
	emitSearch(a, rs)
}

// needsCode reports whether deciding among rs takes instructions, rather
// than just a jump to the one run's target.
func needsCode(rs []run) bool { return len(rs) > 1 || len(rs[0].exceptions) > 0 }

// emitSearch emits the search over rs at the current position.
func emitSearch(a *assembler, rs []run) {
	if len(rs) == 1 {
		emitLeaf(a, rs[0])
		return
	}
	mid := len(rs) / 2
	lower, upper := rs[:mid], rs[mid:]
	left, right := lower[0].target, upper[0].target
	if needsCode(lower) {
		left = a.newLabel()
	}
	if needsCode(upper) {
		right = a.newLabel()
	}
	a.jumpIf(bpf.JumpGreaterOrEqual, upper[0].start, right, left)
	if needsCode(lower) {
		a.bind(left)
		emitSearch(a, lower)
	}
	if needsCode(upper) {
		a.bind(right)
		emitSearch(a, upper)
	}
}

// emitLeaf emits the exception tests of r and the jump to its target.
func emitLeaf(a *assembler, r run) {
	for i, e := range r.exceptions {
		next := r.target
		if i < len(r.exceptions)-1 {
			next = a.newLabel()
		}
		a.jumpIf(bpf.JumpEqual, e.nr, e.target, next)
		if next != r.target {
			a.bind(next)
		}
	}
}
