package promises

import (
	"fmt"
	"slices"

	"golang.org/x/net/bpf"
)

// Program is a compiled classic-BPF seccomp filter, encoded as the kernel
// takes it (struct sock_filter).
type Program []bpf.RawInstruction

// maxProgramLen is the kernel's limit on a filter's length (BPF_MAXINSNS).
const maxProgramLen = 4096

// Compile turns a promise set into one seccomp filter, by passes:
//
//  1. gather: every rule s and o grant, laid out by syscall number;
//  2. simplify: drop shadowed and duplicate verdicts, merge set tests;
//  3. classify: give each number a target, a return or a shared check block;
//  4. dispatch: cut the numbers into segments and emit a binary search over
//     them;
//  5. checks: emit the argument tests of each check block, then one return
//     per action;
//  6. link: resolve labels, adding trampolines for far jumps.
//
// The program kills the process for a call from a foreign ABI (such as an
// i386 int 0x80 call on x86_64), fails numbers from 447 on and clone3,
// openat2 and memfd_create with ENOSYS, and gives every call no rule accepts
// the penalty.
func Compile(s Set, o Options) (Program, error) {
	if err := o.validate(s); err != nil {
		return nil, err
	}
	var p policy
	p.gather(s, o)
	p.simplify()
	a := newAssembler()
	rets := returns{a: a}
	var targets [firstUnknownSyscall]label
	blocks := classify(&p, a, &rets, targets[:])
	emitPrologue(a, o.Arch, &rets)
	emitDispatch(a, segment(targets[:], rets.label(actionENOSYS), len(a.labels)))
	for i, b := range blocks {
		emitBlock(a, b, blocks[i+1:], &rets, p.penalty)
	}
	rets.emit()
	prog, err := a.link()
	if err != nil {
		return nil, err
	}
	if len(prog) > maxProgramLen {
		return nil, fmt.Errorf("promises: filter for %q has %d instructions, over the kernel's limit of %d", s, len(prog), maxProgramLen)
	}
	return prog, nil
}

// emitPrologue emits the architecture check and loads the syscall number.
func emitPrologue(a *assembler, arch Arch, ret *returns) {
	native := a.newLabel()
	a.load(offArch)
	a.jumpIf(bpfJumpEq, AuditArch(arch), native, ret.label(ActionKillProcess))
	a.bind(native)
	a.load(offNr)
}

// returns is the program's return instructions, one per action used,
// emitted together at the end, where every jump can reach them.
type returns struct {
	a *assembler
	// actions[i] returns at labels[i], for the first n entries; there are
	// only five distinct actions (allow, notify, kill, EPERM, ENOSYS).
	actions [5]Action
	labels  [5]label
	n       int
}

// label returns the label of the group's return of action.
func (r *returns) label(action Action) label {
	for i, a := range r.actions[:r.n] {
		if a == action {
			return r.labels[i]
		}
	}
	l := r.a.newLabel()
	r.actions[r.n], r.labels[r.n] = action, l
	r.n++
	return l
}

// emit places the group's returns here.
func (r *returns) emit() {
	for i, action := range r.actions[:r.n] {
		r.a.bind(r.labels[i])
		r.a.ret(action)
	}
}

// block is a check block: the argument tests shared by the numbers whose
// verdicts are equal.
type block struct {
	label    label
	verdicts []verdict
}

// maxBlocks is room for the check blocks of any set without growing.
const maxBlocks = 64

// classify fills targets, one per number below firstUnknownSyscall: a return
// of ret when no argument matters, else a check block, shared between
// numbers with equal verdicts. It returns the blocks.
func classify(p *policy, a *assembler, ret *returns, targets []label) []block {
	blocks := make([]block, 0, maxBlocks)
	for nr, vs := range &p.slots {
		switch {
		case p.enosys[nr]:
			targets[nr] = ret.label(actionENOSYS)
		case len(vs) == 0:
			targets[nr] = ret.label(p.penalty)
		case len(vs) == 1 && len(vs[0].cond) == 0:
			targets[nr] = ret.label(vs[0].action)
		default:
			targets[nr] = blockFor(a, &blocks, vs)
		}
	}
	orderBlocks(blocks)
	return blocks
}

// orderBlocks sorts blocks longest condition first, so that a block whose
// tail is another block comes before it and can jump forward into it.
func orderBlocks(blocks []block) {
	slices.SortStableFunc(blocks, func(x, y block) int { return matcherCount(y) - matcherCount(x) })
}

// matcherCount counts the matchers of b's verdicts.
func matcherCount(b block) int {
	n := 0
	for _, v := range b.verdicts {
		n += len(v.cond)
	}
	return n
}

// blockFor returns the label of the block for vs, adding one if none has
// equal verdicts.
func blockFor(a *assembler, blocks *[]block, vs []verdict) label {
	for _, b := range *blocks {
		if verdictsEqual(b.verdicts, vs) {
			return b.label
		}
	}
	l := a.newLabel()
	*blocks = append(*blocks, block{label: l, verdicts: vs})
	return l
}

// verdictsEqual reports whether two verdict lists decide alike, verdict by
// verdict.
func verdictsEqual(x, y []verdict) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i].action != y[i].action || !x[i].cond.equal(y[i].cond) {
			return false
		}
	}
	return true
}

// Instructions decodes p into golang.org/x/net/bpf's instruction values.
func (p Program) Instructions() []bpf.Instruction {
	out := make([]bpf.Instruction, len(p))
	for i, raw := range p {
		out[i] = raw.Disassemble()
	}
	return out
}

// Run executes p on d in golang.org/x/net/bpf's virtual machine.
func (p Program) Run(d Data) (Action, error) {
	vm, err := bpf.NewVM(p.Instructions())
	if err != nil {
		return 0, err
	}
	v, err := vm.Run(d.Marshal())
	return Action(uint32(v)), err
}
