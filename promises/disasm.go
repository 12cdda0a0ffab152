package promises

import (
	"fmt"
	"strings"

	"golang.org/x/net/bpf"
)

// Disassemble renders p one instruction a line, with absolute jump targets,
// seccomp_data field names and action names, for debugging filters.
func Disassemble(p Program) string {
	var b strings.Builder
	for i, ins := range p {
		fmt.Fprintf(&b, "%4d  %s\n", i, disassembleOne(i, ins))
	}
	return b.String()
}

// jumpNames spells the conditional jumps the compiler emits.
var jumpNames = map[bpf.JumpTest]string{
	bpf.JumpEqual:          "jeq",
	bpf.JumpGreaterOrEqual: "jge",
	bpf.JumpGreaterThan:    "jgt",
	bpf.JumpBitsSet:        "jset",
}

// disassembleOne renders instruction i.
func disassembleOne(i int, ins bpf.Instruction) string {
	switch ins := ins.(type) {
	case bpf.LoadAbsolute:
		return fmt.Sprintf("ld   %s", fieldName(ins.Off))
	case bpf.JumpIf:
		name, ok := jumpNames[ins.Cond]
		if !ok {
			break
		}
		return fmt.Sprintf("%-4s #%#x, %d, %d", name, ins.Val, i+1+int(ins.SkipTrue), i+1+int(ins.SkipFalse))
	case bpf.Jump:
		return fmt.Sprintf("ja   %d", i+1+int(ins.Skip))
	case bpf.RetConstant:
		return fmt.Sprintf("ret  %v", Action(ins.Val))
	case bpf.ALUOpConstant:
		if ins.Op == bpf.ALUOpAnd {
			return fmt.Sprintf("and  #%#x", ins.Val)
		}
	}
	return fmt.Sprint(ins)
}

// fieldName names the seccomp_data word at off.
func fieldName(off uint32) string {
	switch {
	case off == offNr:
		return "nr"
	case off == offArch:
		return "arch"
	case off >= offArgs && off < dataSize:
		half := "lo"
		if (off-offArgs)%8 == 4 {
			half = "hi"
		}
		return fmt.Sprintf("args[%d].%s", (off-offArgs)/8, half)
	}
	return fmt.Sprintf("[%d]", off)
}
