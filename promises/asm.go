package promises

import (
	"fmt"
	"slices"

	"golang.org/x/net/bpf"
)

// label names a position in a program under construction.
type label int32

// The classic-BPF opcodes the compiler emits (linux/filter.h). Building
// instructions from these, rather than from golang.org/x/net/bpf's
// Instruction values, keeps every instruction a small pointer-free value:
// no interface boxing, nothing for the garbage collector to trace.
const (
	bpfLoadWord = 0x20 // BPF_LD | BPF_W | BPF_ABS: A = seccomp_data[k]
	bpfAnd      = 0x54 // BPF_ALU | BPF_AND | BPF_K: A &= k
	bpfJump     = 0x05 // BPF_JMP | BPF_JA: skip k instructions
	bpfJumpEq   = 0x15 // BPF_JMP | BPF_JEQ | BPF_K: A == k
	bpfJumpGt   = 0x25 // BPF_JMP | BPF_JGT | BPF_K: A > k
	bpfJumpGe   = 0x35 // BPF_JMP | BPF_JGE | BPF_K: A >= k
	bpfJumpSet  = 0x45 // BPF_JMP | BPF_JSET | BPF_K: A & k != 0
	bpfReturn   = 0x06 // BPF_RET | BPF_K: return k
)

// insn is an instruction whose jump targets are labels: jt and jf for a
// conditional jump, jt alone for an unconditional one.
type insn struct {
	code   uint16
	k      uint32
	jt, jf label
}

// conditional reports whether in is a conditional jump.
func (in insn) conditional() bool { return in.code&0x07 == bpfJump && in.code != bpfJump }

// assembler builds a program with symbolic forward jumps.
type assembler struct {
	code   []insn
	labels []int32 // label -> index into code, -1 while unbound
}

// newAssembler returns an assembler with room for a typical program.
func newAssembler() *assembler {
	return &assembler{code: make([]insn, 0, 512), labels: make([]int32, 0, 512)}
}

// newLabel returns a fresh, unbound label.
func (a *assembler) newLabel() label {
	a.labels = append(a.labels, -1)
	return label(len(a.labels) - 1)
}

// bind makes l refer to the next instruction emitted.
func (a *assembler) bind(l label) { a.labels[l] = int32(len(a.code)) }

// load appends "A = the 32-bit word at off in seccomp_data".
func (a *assembler) load(off uint32) { a.code = append(a.code, insn{code: bpfLoadWord, k: off}) }

// and appends "A &= mask".
func (a *assembler) and(mask uint32) { a.code = append(a.code, insn{code: bpfAnd, k: mask}) }

// ret appends "return action".
func (a *assembler) ret(action Action) {
	a.code = append(a.code, insn{code: bpfReturn, k: uint32(action)})
}

// jump appends "goto l".
func (a *assembler) jump(l label) { a.code = append(a.code, insn{code: bpfJump, jt: l}) }

// jumpIf appends "if A <test> val goto jt else goto jf", test being one of
// the bpfJump* conditional opcodes.
func (a *assembler) jumpIf(test uint16, val uint32, jt, jf label) {
	a.code = append(a.code, insn{code: test, k: val, jt: jt, jf: jf})
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
		raw := bpf.RawInstruction{Op: in.code, K: in.k}
		switch {
		case in.code == bpfJump:
			s, err := a.skip(i, in.jt)
			if err != nil {
				return nil, err
			}
			raw.K = uint32(s)
		case in.conditional():
			jt, err := a.skip(i, in.jt)
			if err != nil {
				return nil, err
			}
			jf, err := a.skip(i, in.jf)
			if err != nil {
				return nil, err
			}
			raw.Jt, raw.Jf = uint8(jt), uint8(jf)
		}
		prog[i] = raw
	}
	return prog, nil
}

// skip returns the offset from instruction i to label l.
func (a *assembler) skip(i int, l label) (int, error) {
	target := int(a.labels[l])
	if target <= i {
		return 0, fmt.Errorf("promises: internal error: jump from %d to label %d at %d is not forward", i, l, target)
	}
	return target - i - 1, nil
}

// insertTrampoline gives the first out-of-reach conditional jump a
// trampoline and reports whether it found one.
func (a *assembler) insertTrampoline() bool {
	for i, in := range a.code {
		if !in.conditional() {
			continue
		}
		switch {
		case int(a.labels[in.jt])-i-1 > maxCondSkip:
			a.code[i].jt = a.trampolineAfter(i, in.jt)
		case int(a.labels[in.jf])-i-1 > maxCondSkip:
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
	a.code = slices.Insert(a.code, i+1, insn{code: bpfJump, jt: target})
	for l, pos := range a.labels {
		if int(pos) > i {
			a.labels[l] = pos + 1
		}
	}
	t := a.newLabel()
	a.labels[t] = int32(i + 1)
	return t
}
