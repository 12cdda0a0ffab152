package promises

import (
	"fmt"
	"strings"
)

// Disassemble renders p one instruction a line, with absolute jump targets,
// seccomp_data field names and action names, for debugging filters.
func Disassemble(p Program) string {
	var b strings.Builder
	for i := range p {
		fmt.Fprintf(&b, "%4d  %s\n", i, disassembleOne(p, i))
	}
	return b.String()
}

// jumpNames spells the conditional jumps the compiler emits.
var jumpNames = map[uint16]string{
	bpfJumpEq:  "jeq",
	bpfJumpGe:  "jge",
	bpfJumpGt:  "jgt",
	bpfJumpSet: "jset",
}

// disassembleOne renders instruction i of p.
func disassembleOne(p Program, i int) string {
	ins := p[i]
	switch ins.Op {
	case bpfLoadWord:
		return fmt.Sprintf("ld   %s", fieldName(ins.K))
	case bpfAnd:
		return fmt.Sprintf("and  #%#x", ins.K)
	case bpfJump:
		return fmt.Sprintf("ja   %d", i+1+int(ins.K))
	case bpfReturn:
		return fmt.Sprintf("ret  %v", Action(ins.K))
	}
	if name, ok := jumpNames[ins.Op]; ok {
		return fmt.Sprintf("%-4s #%#x, %d, %d", name, ins.K, i+1+int(ins.Jt), i+1+int(ins.Jf))
	}
	return fmt.Sprint(ins.Disassemble())
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
