// Package preload generates the loader-phase marker: a tiny x86_64 shared
// object, built from Go bytes without a toolchain, whose only code is a
// constructor that calls prctl(promises.LoaderDoneOption, 0, 0, 0, 0) and
// returns.
//
// A dynamic program starts in ld.so, which needs promises (rpath) the user
// may not have granted. The sandbox routes those calls to a supervisor that
// lets them through only until the program says the loader phase is over.
// ld.so runs the constructors of LD_PRELOAD objects after it has mapped all
// libraries and before main, so the call from this constructor is that
// signal: from then on the program holds exactly its promises.
//
// The object has no symbols, no relocations and no dependencies: one
// read-execute PT_LOAD for headers, hash table and code, one read-write
// PT_LOAD for the dynamic section (ld.so may write to it), PT_DYNAMIC, and
// PT_GNU_STACK so that loading it never asks for an executable stack. The
// constructor is DT_INIT, which both glibc and musl run on x86_64 and which,
// unlike DT_INIT_ARRAY, needs no relocation. A one-bucket DT_HASH keeps
// musl's symbol lookup, which walks every loaded object, well defined.
package preload

import (
	"encoding/binary"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

// Layout of the object: file offsets equal virtual addresses in the text
// segment; the data segment sits one page higher in memory than in the file.
const (
	ehdrSize    = 64
	phdrSize    = 56
	phdrCount   = 4
	hashOff     = ehdrSize + phdrSize*phdrCount // 0x120
	hashSize    = 16                            // nbucket, nchain, bucket[0], chain[0]
	symtabOff   = hashOff + hashSize            // 0x130
	symSize     = 24                            // one Elf64_Sym: the null symbol
	strtabOff   = symtabOff + symSize           // 0x148
	strtabSize  = 1                             // ""
	codeOff     = 0x150
	dynamicOff  = 0x170
	dynamicSize = 16 * 7
	fileSize    = dynamicOff + dynamicSize
	pageSize    = 0x1000
	dataVaddr   = pageSize + dynamicOff
)

// ELF constants not worth importing debug/elf for (it would pull its
// decoders into the shim).
const (
	etDyn       = 3
	emX8664     = 62
	ptLoad      = 1
	ptDynamic   = 2
	ptGNUStack  = 0x6474e551
	pfX         = 1
	pfW         = 2
	pfR         = 4
	dtNull      = 0
	dtHash      = 4
	dtStrtab    = 5
	dtSymtab    = 6
	dtStrsz     = 10
	dtSyment    = 11
	dtInit      = 12
	sysPrctlX86 = 157
)

// Object returns the x86_64 shared object. It is a fresh slice each time.
func Object() []byte {
	b := make([]byte, fileSize)
	putHeader(b)
	putPhdrs(b[ehdrSize:])
	le := binary.LittleEndian
	le.PutUint32(b[hashOff:], 1)   // nbucket
	le.PutUint32(b[hashOff+4:], 1) // nchain: symbol 0 only
	copy(b[codeOff:], constructor())
	putDynamic(b[dynamicOff:])
	return b
}

// constructor is the DT_INIT code: prctl(LoaderDoneOption, 0, 0, 0, 0);
// return. It clobbers only registers the caller does not expect preserved.
func constructor() []byte {
	code := []byte{
		0xb8, 0, 0, 0, 0, // mov eax, SYS_prctl
		0xbf, 0, 0, 0, 0, // mov edi, LoaderDoneOption
		0x31, 0xf6, // xor esi, esi
		0x31, 0xd2, // xor edx, edx
		0x45, 0x31, 0xd2, // xor r10d, r10d
		0x45, 0x31, 0xc0, // xor r8d, r8d
		0x0f, 0x05, // syscall
		0xc3, // ret
	}
	binary.LittleEndian.PutUint32(code[1:], sysPrctlX86)
	binary.LittleEndian.PutUint32(code[6:], promises.LoaderDoneOption)
	return code
}

func putHeader(b []byte) {
	le := binary.LittleEndian
	copy(b, "\x7fELF")
	b[4] = 2 // ELFCLASS64
	b[5] = 1 // ELFDATA2LSB
	b[6] = 1 // EV_CURRENT
	le.PutUint16(b[16:], etDyn)
	le.PutUint16(b[18:], emX8664)
	le.PutUint32(b[20:], 1)        // e_version
	le.PutUint64(b[32:], ehdrSize) // e_phoff
	le.PutUint16(b[52:], ehdrSize)
	le.PutUint16(b[54:], phdrSize)
	le.PutUint16(b[56:], phdrCount)
	le.PutUint16(b[58:], 64) // e_shentsize, with no sections
}

// phdr is one Elf64_Phdr.
type phdr struct {
	typ, flags                   uint32
	off, vaddr, filesz, memsz, a uint64
}

func putPhdrs(b []byte) {
	for i, p := range []phdr{
		{ptLoad, pfR | pfX, 0, 0, dynamicOff, dynamicOff, pageSize},
		{ptLoad, pfR | pfW, dynamicOff, dataVaddr, dynamicSize, dynamicSize, pageSize},
		{ptDynamic, pfR | pfW, dynamicOff, dataVaddr, dynamicSize, dynamicSize, 8},
		{ptGNUStack, pfR | pfW, 0, 0, 0, 0, 16},
	} {
		e := b[i*phdrSize:]
		le := binary.LittleEndian
		le.PutUint32(e[0:], p.typ)
		le.PutUint32(e[4:], p.flags)
		le.PutUint64(e[8:], p.off)
		le.PutUint64(e[16:], p.vaddr)
		le.PutUint64(e[24:], p.vaddr) // p_paddr
		le.PutUint64(e[32:], p.filesz)
		le.PutUint64(e[40:], p.memsz)
		le.PutUint64(e[48:], p.a)
	}
}

func putDynamic(b []byte) {
	for i, d := range [][2]uint64{
		{dtHash, hashOff},
		{dtStrtab, strtabOff},
		{dtSymtab, symtabOff},
		{dtStrsz, strtabSize},
		{dtSyment, symSize},
		{dtInit, codeOff},
		{dtNull, 0},
	} {
		binary.LittleEndian.PutUint64(b[i*16:], d[0])
		binary.LittleEndian.PutUint64(b[i*16+8:], d[1])
	}
}
