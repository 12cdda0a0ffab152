package promises

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// label names a position in a program under construction.
type label int

// insnKind says how an assembler instruction transfers control.
type insnKind uint8

const (
	kindPlain insnKind = iota // falls through (or returns)
	kindCond                  // conditional jump to jt or jf
	kindJump                  // unconditional jump to ja
)

// insn is an instruction whose jump targets are labels.
type insn struct {
	kind   insnKind
	plain  bpf.Instruction
	test   bpf.JumpTest
	val    uint32
	jt, jf label
	ja     label
}

// assembler builds a program with symbolic forward jumps.
type assembler struct {
	code   []insn
	labels []int // label -> index into code, -1 while unbound
}

// newAssembler returns an assembler with room for a typical program.
func newAssembler() *assembler {
	return &assembler{code: make([]insn, 0, 512), labels: make([]int, 0, 512)}
}

// newLabel returns a fresh, unbound label.
func (a *assembler) newLabel() label {
	a.labels = append(a.labels, -1)
	return label(len(a.labels) - 1)
}

// bind makes l refer to the next instruction emitted.
func (a *assembler) bind(l label) { a.labels[l] = len(a.code) }

// emit appends an instruction that does not jump.
func (a *assembler) emit(ins bpf.Instruction) {
	a.code = append(a.code, insn{kind: kindPlain, plain: ins})
}

// jumpIf appends "if A <test> val goto jt else goto jf".
func (a *assembler) jumpIf(test bpf.JumpTest, val uint32, jt, jf label) {
	a.code = append(a.code, insn{kind: kindCond, test: test, val: val, jt: jt, jf: jf})
}

// maxCondSkip is how far a conditional jump reaches (8-bit offsets).
const maxCondSkip = 255

// link resolves labels into offsets. Conditional jumps reach only 255
// instructions ahead; a farther target gets a trampoline (an unconditional
// jump, which has a 32-bit offset) right after the jump.
func (a *assembler) link() (Program, error) {
	for a.insertTrampoline() {
	}
	prog := make(Program, len(a.code))
	for i, in := range a.code {
		switch in.kind {
		case kindPlain:
			prog[i] = in.plain
		case kindCond:
			jt, err := a.skip(i, in.jt)
			if err != nil {
				return nil, err
			}
			jf, err := a.skip(i, in.jf)
			if err != nil {
				return nil, err
			}
			prog[i] = bpf.JumpIf{Cond: in.test, Val: in.val, SkipTrue: uint8(jt), SkipFalse: uint8(jf)}
		case kindJump:
			s, err := a.skip(i, in.ja)
			if err != nil {
				return nil, err
			}
			prog[i] = bpf.Jump{Skip: uint32(s)}
		}
	}
	return prog, nil
}

// skip returns the offset from instruction i to label l.
func (a *assembler) skip(i int, l label) (int, error) {
	target := a.labels[l]
	if target <= i {
		return 0, fmt.Errorf("promises: internal error: jump from %d to label %d at %d is not forward", i, l, target)
	}
	return target - i - 1, nil
}

// insertTrampoline gives the first out-of-reach conditional jump a
// trampoline and reports whether it found one.
func (a *assembler) insertTrampoline() bool {
	for i, in := range a.code {
		if in.kind != kindCond {
			continue
		}
		switch {
		case a.labels[in.jt]-i-1 > maxCondSkip:
			a.code[i].jt = a.trampolineAfter(i, in.jt)
		case a.labels[in.jf]-i-1 > maxCondSkip:
			a.code[i].jf = a.trampolineAfter(i, in.jf)
		default:
			continue
		}
		return true
	}
	return false
}

// trampolineAfter inserts "goto target" after instruction i and returns a
// label for it.
func (a *assembler) trampolineAfter(i int, target label) label {
	a.code = append(a.code[:i+1], append([]insn{{kind: kindJump, ja: target}}, a.code[i+1:]...)...)
	for l, pos := range a.labels {
		if pos > i {
			a.labels[l] = pos + 1
		}
	}
	t := a.newLabel()
	a.labels[t] = i + 1
	return t
}
