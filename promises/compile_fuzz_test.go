package promises

import (
	"encoding/binary"
	"testing"
)

// interestingArgs are argument values near the edges of the catalog's rules,
// so that random records hit both sides of conditions.
var interestingArgs = []uint64{
	0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 17, 20, 26, 36, 38, 41, 0x40, 0x100, 0x241, 0x800,
	0x1000, 0x2000, 0x5401, 0x541B, 0x5450, 0x8905, 1030, 0x10f00, 0x20000, 0x80802,
	0x1000000, 0x4111, 0x400000, 0x7e822000, 0x504c4447, 0xffffffff, 1 << 32, 1<<32 | 1,
	0xfffffffc, 0xffffffff00000000, 0xdeadbeefcafe, 0x2000000000000000, 4242,
}

// fuzzInput decodes the fuzzer's bytes into a compile input and a record
// for it: the architecture, penalty, set and options come from the first
// bytes; argument values are picked from interestingArgs or taken raw.
func fuzzInput(b []byte) (Set, Options, Data) {
	word := func(i int) uint64 {
		var buf [8]byte
		copy(buf[:], b[min(i, len(b)):])
		return binary.LittleEndian.Uint64(buf[:])
	}
	head := word(0)
	o := Options{
		Arch:     Arch(head & 1),
		Penalty:  Penalty(head >> 1 % 3),
		SelfPID:  uint32(4242),
		FileExec: head>>3&1 == 1,
		Loader:   Set(word(8)>>32) & All(),
	}
	if head>>4&1 == 1 {
		o.Cookie = 0xdeadbeefcafe
	}
	s := Set(word(8)) & All()
	d := Data{Arch: AuditArch(o.Arch), Nr: uint32(head>>8) % 460}
	switch head >> 20 % 8 {
	case 0:
		d.Arch = 0x40000003 // AUDIT_ARCH_I386
	case 1:
		d.Nr = uint32(head >> 24)
	}
	for i := range d.Args {
		sel := word(16 + 8*i)
		if sel&1 == 0 {
			d.Args[i] = interestingArgs[sel>>1%uint64(len(interestingArgs))]
		} else {
			d.Args[i] = sel >> 1
		}
	}
	return s, o, d
}

// FuzzCompileMatchesModel checks that the compiled filter, run in the BPF VM,
// decides every record as the rule model does.
func FuzzCompileMatchesModel(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 2, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x7f, 0, 2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, o, d := fuzzInput(b)
		prog, err := Compile(s, o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := prog.Run(d)
		if err != nil {
			t.Fatal(err)
		}
		if want := Evaluate(s, o, d); got != want {
			t.Fatalf("set %q options %+v record %+v: filter says %v, model says %v\n%s", s, o, d, got, want, Disassemble(prog))
		}
	})
}
