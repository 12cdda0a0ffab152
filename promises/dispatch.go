package promises

// span is a range of syscall numbers [start, end) that all go to target.
type span struct {
	start, end uint32
	target     label
}

// run is one segment of the dispatch: a span whose numbers go to target,
// except the listed single numbers.
type run struct {
	span
	exceptions []exception
}

// exception sends the numbers [lo, hi] inside a run elsewhere.
type exception struct {
	lo, hi uint32
	target label
}

// cost returns how many instructions testing for s as an exception takes:
// a "jeq" for one number, a "jeq" each for two, a "jge"/"jgt" pair for more.
func (s span) cost() int32 { return int32(min(s.end-s.start, 2)) }

// maxSegmentRuns bounds how many maximal runs one segment may span, which
// bounds both the segmentation's cost and the length of exception chains.
const maxSegmentRuns = 16

// maxSpans is the most maximal runs there can be: one per number below
// firstUnknownSyscall, and the one above.
const maxSpans = firstUnknownSyscall + 1

// segment is the dispatch pass's first step. It groups targets (indexed by
// number; the numbers from len(targets) on go to above) into maximal runs,
// then cuts the number line into segments, each going to one target except
// for the runs inside it that are tested one by one. A segment boundary
// costs one "jge" and an exception one or two instructions, so it picks the
// cut with the fewest instructions by dynamic programming over runs. Every
// target is a label below labels.
func segment(targets []label, above label, labels int) []run {
	var spanBuf [maxSpans]span
	maximal := maximalRuns(targets, above, spanBuf[:0])
	n := len(maximal)
	// cost[i] is the fewest instructions for the first i runs, from[i]
	// where the last segment of that cut starts.
	var cost, from [maxSpans + 1]int32
	counter := costCounter{costs: make([]int32, labels)}
	for i := 1; i <= n; i++ {
		cost[i] = -1
		counter.reset()
		for j := i - 1; j >= 0 && i-j <= maxSegmentRuns; j-- {
			counter.add(maximal[j])
			c := cost[j] + 1 + counter.exceptions()
			if cost[i] < 0 || c < cost[i] {
				cost[i], from[i] = c, int32(j)
			}
		}
	}
	segments := 0
	for i := n; i > 0; i = int(from[i]) {
		segments++
	}
	out := make([]run, segments)
	exceptions := make([]exception, 0, n)
	for i := n; i > 0; i = int(from[i]) {
		segments--
		out[segments] = merged(maximal[from[i]:i], &counter, &exceptions)
	}
	return out
}

// maximalRuns appends to out the maximal runs of equal target in targets,
// closed by the run of every number from len(targets) on.
func maximalRuns(targets []label, above label, out []span) []span {
	start := 0
	for nr := 1; nr <= len(targets); nr++ {
		if nr == len(targets) || targets[nr] != targets[start] {
			out = append(out, span{start: uint32(start), end: uint32(nr), target: targets[start]})
			start = nr
		}
	}
	return append(out, span{start: uint32(len(targets)), end: 1<<32 - 1, target: above})
}

// costCounter sums, per target, what testing for its runs as exceptions
// would cost within a range of at most maxSegmentRuns runs.
type costCounter struct {
	costs   []int32 // by label; nonzero only for the labels in used
	used    [maxSegmentRuns]label
	n       int // labels in used
	total   int32
	largest label // the target of the largest cost: the best default
}

// reset empties c.
func (c *costCounter) reset() {
	for _, l := range c.used[:c.n] {
		c.costs[l] = 0
	}
	c.n, c.total = 0, 0
}

// add counts r.
func (c *costCounter) add(r span) {
	cost := r.cost()
	c.total += cost
	if c.costs[r.target] == 0 {
		c.used[c.n] = r.target
		c.n++
	}
	c.costs[r.target] += cost
	if c.n == 1 || c.costs[r.target] > c.costs[c.largest] {
		c.largest = r.target
	}
}

// exceptions returns the cost of the exceptions to the best default target.
func (c *costCounter) exceptions() int32 { return c.total - c.costs[c.largest] }

// merged turns consecutive maximal runs into one run to the best default
// target, with the others as exceptions appended to (and sliced from)
// exceptions, which has room for them.
func merged(rs []span, counter *costCounter, exceptions *[]exception) run {
	counter.reset()
	for _, r := range rs {
		counter.add(r)
	}
	out := run{span: span{start: rs[0].start, end: rs[len(rs)-1].end, target: counter.largest}}
	first := len(*exceptions)
	for _, r := range rs {
		if r.target != out.target {
			*exceptions = append(*exceptions, exception{lo: r.start, hi: r.end - 1, target: r.target})
		}
	}
	out.exceptions = (*exceptions)[first:len(*exceptions):len(*exceptions)]
	return out
}

// emitDispatch emits a binary search over rs on the syscall number, which
// must be in the accumulator: each inner node is one "jge", each leaf its
// exceptions' "jeq"s before the jump to the run's target. Only the number is
// ever loaded on these paths, so the kernel's action cache can prove every
// unconditionally allowed number allowed and skip the filter for it.
func emitDispatch(a *assembler, rs []run) {
	if !needsCode(rs) {
		a.jump(rs[0].target)
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
	a.jumpIf(bpfJumpGe, upper[0].start, right, left)
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
		switch e.hi - e.lo {
		case 0:
			a.jumpIf(bpfJumpEq, e.lo, e.target, next)
		case 1:
			second := a.newLabel()
			a.jumpIf(bpfJumpEq, e.lo, e.target, second)
			a.bind(second)
			a.jumpIf(bpfJumpEq, e.hi, e.target, next)
		default:
			inRange := a.newLabel()
			a.jumpIf(bpfJumpGe, e.lo, inRange, next)
			a.bind(inRange)
			a.jumpIf(bpfJumpGt, e.hi, next, e.target)
		}
		if next != r.target {
			a.bind(next)
		}
	}
}
