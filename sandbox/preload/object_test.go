package preload

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

// TestObjectParses checks the object the way a loader sees it: ELF64 ET_DYN
// for x86_64, two PT_LOADs (the writable one not executable), PT_DYNAMIC
// inside the writable one, a non-executable stack, and the dynamic tags
// glibc and musl need, each pointing inside the text segment.
func TestObjectParses(t *testing.T) {
	f, err := elf.NewFile(bytes.NewReader(Object()))
	if err != nil {
		t.Fatalf("debug/elf rejects the object: %v", err)
	}
	if f.Class != elf.ELFCLASS64 || f.Type != elf.ET_DYN || f.Machine != elf.EM_X86_64 {
		t.Fatalf("header: class %v type %v machine %v, want ELFCLASS64 ET_DYN EM_X86_64", f.Class, f.Type, f.Machine)
	}
	var loads []*elf.Prog
	var dyn, stack *elf.Prog
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			loads = append(loads, p)
		case elf.PT_DYNAMIC:
			dyn = p
		case elf.PT_GNU_STACK:
			stack = p
		}
	}
	if len(loads) != 2 || dyn == nil || stack == nil {
		t.Fatalf("program headers: %d PT_LOAD, PT_DYNAMIC %v, PT_GNU_STACK %v; want 2, present, present", len(loads), dyn != nil, stack != nil)
	}
	text, data := loads[0], loads[1]
	if text.Flags != elf.PF_R|elf.PF_X || data.Flags != elf.PF_R|elf.PF_W || stack.Flags&elf.PF_X != 0 {
		t.Errorf("flags: text %v data %v stack %v; want R+X, R+W, not X", text.Flags, data.Flags, stack.Flags)
	}
	for _, p := range loads {
		if p.Off%p.Align != p.Vaddr%p.Align {
			t.Errorf("PT_LOAD at offset %#x vaddr %#x is not congruent modulo %#x", p.Off, p.Vaddr, p.Align)
		}
	}
	if dyn.Vaddr < data.Vaddr || dyn.Vaddr+dyn.Memsz > data.Vaddr+data.Memsz {
		t.Errorf("PT_DYNAMIC [%#x,+%#x) lies outside the writable PT_LOAD", dyn.Vaddr, dyn.Memsz)
	}
	tags := dynamicTags(t, dyn)
	for _, tag := range []elf.DynTag{elf.DT_HASH, elf.DT_STRTAB, elf.DT_SYMTAB, elf.DT_INIT} {
		v, ok := tags[tag]
		if !ok || v >= text.Vaddr+text.Filesz {
			t.Errorf("%v = %#x (present %v), want an address inside the text segment", tag, v, ok)
		}
	}
	if tags[elf.DT_SYMENT] != 24 || tags[elf.DT_STRSZ] == 0 {
		t.Errorf("DT_SYMENT %d DT_STRSZ %d, want 24 and nonzero", tags[elf.DT_SYMENT], tags[elf.DT_STRSZ])
	}
}

// dynamicTags decodes the PT_DYNAMIC segment up to DT_NULL.
func dynamicTags(t *testing.T, dyn *elf.Prog) map[elf.DynTag]uint64 {
	t.Helper()
	raw := make([]byte, dyn.Filesz)
	if _, err := dyn.ReadAt(raw, 0); err != nil {
		t.Fatalf("read PT_DYNAMIC: %v", err)
	}
	tags := map[elf.DynTag]uint64{}
	for i := 0; i+16 <= len(raw); i += 16 {
		tag := elf.DynTag(binary.LittleEndian.Uint64(raw[i:]))
		if tag == elf.DT_NULL {
			return tags
		}
		tags[tag] = binary.LittleEndian.Uint64(raw[i+8:])
	}
	t.Fatal("PT_DYNAMIC has no DT_NULL terminator")
	return nil
}

// TestConstructorCallsPrctl decodes the constructor's immediates: the prctl
// number and the option the supervisor waits for.
func TestConstructorCallsPrctl(t *testing.T) {
	obj := Object()
	code := obj[codeOff:dynamicOff]
	if code[0] != 0xb8 || binary.LittleEndian.Uint32(code[1:]) != 157 {
		t.Errorf("constructor does not load SYS_prctl (157) into eax: % x", code[:5])
	}
	if code[5] != 0xbf || binary.LittleEndian.Uint32(code[6:]) != promises.LoaderDoneOption {
		t.Errorf("constructor does not load LoaderDoneOption into edi: % x", code[5:10])
	}
	if !bytes.Contains(code, []byte{0x0f, 0x05, 0xc3}) {
		t.Errorf("constructor does not end in syscall; ret: % x", code)
	}
}
