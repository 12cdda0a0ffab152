package promises

import (
	"testing"

	"golang.org/x/net/bpf"
)

// TestOpcodes checks the compiler's opcodes against golang.org/x/net/bpf's
// encoding of the same instructions.
func TestOpcodes(t *testing.T) {
	tests := []struct {
		op   uint16
		want bpf.Instruction
	}{
		{bpfLoadWord, bpf.LoadAbsolute{Off: offNr, Size: 4}},
		{bpfAnd, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 1}},
		{bpfJump, bpf.Jump{Skip: 1}},
		{bpfJumpEq, bpf.JumpIf{Cond: bpf.JumpEqual, SkipTrue: 1}},
		{bpfJumpGt, bpf.JumpIf{Cond: bpf.JumpGreaterThan, SkipTrue: 1}},
		{bpfJumpGe, bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, SkipTrue: 1}},
		{bpfJumpSet, bpf.JumpIf{Cond: bpf.JumpBitsSet, SkipTrue: 1}},
		{bpfReturn, bpf.RetConstant{Val: 1}},
	}
	for _, tt := range tests {
		raw, err := tt.want.Assemble()
		if err != nil {
			t.Fatal(err)
		}
		if raw.Op != tt.op {
			t.Errorf("%#v assembles to opcode %#x, compiler uses %#x", tt.want, raw.Op, tt.op)
		}
	}
}

// TestAssembleCopies checks that Assemble's result does not alias the
// program, so a caller may patch it.
func TestAssembleCopies(t *testing.T) {
	prog, err := Compile(Rpath, Options{Arch: AMD64})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := prog.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	raw[0].K++
	if prog[0].K == raw[0].K {
		t.Error("Assemble returned the program's own storage")
	}
	if got := len(prog.Instructions()); got != len(prog) {
		t.Errorf("Instructions returned %d instructions for %d", got, len(prog))
	}
}
