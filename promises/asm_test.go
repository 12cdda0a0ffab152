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

// TestInstructionsRoundTrip checks that Instructions decodes every
// instruction of a compiled program to x/net/bpf values that encode back to
// the same bytes, so Disassemble and the VM see the program the kernel gets.
func TestInstructionsRoundTrip(t *testing.T) {
	prog, err := Compile(All(), Options{Arch: AMD64, SelfPID: testPID, Cookie: testCookie, Loader: Rpath, FileExec: true})
	if err != nil {
		t.Fatal(err)
	}
	ins := prog.Instructions()
	if len(ins) != len(prog) {
		t.Fatalf("Instructions returned %d instructions for %d", len(ins), len(prog))
	}
	for i, in := range ins {
		raw, err := in.Assemble()
		if err != nil {
			t.Fatalf("instruction %d (%v): %v", i, in, err)
		}
		if raw != prog[i] {
			t.Errorf("instruction %d decodes to %v, which encodes to %+v, not %+v", i, in, raw, prog[i])
		}
	}
}
