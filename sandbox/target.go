package sandbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/sys/unix"
)

// targetKind says how the kernel will load the program, which decides what
// the filter must allow while the program starts.
type targetKind int

const (
	// kindStatic programs run their own code from the first instruction:
	// static ELF, static-PIE (ET_DYN without PT_INTERP), and anything the
	// kernel does not load through a dynamic loader.
	kindStatic targetKind = iota
	// kindDynamic programs are started by the ELF interpreter named in
	// PT_INTERP, which opens and maps shared libraries first.
	kindDynamic
)

func (k targetKind) String() string {
	if k == kindDynamic {
		return "dynamic"
	}
	return "static"
}

// headerSize is how much of a program inspectTarget reads at once: the
// kernel's #! buffer (BINPRM_BUF_SIZE, 256) and, for ELF, room for the
// program headers of ordinary executables, so one read usually suffices.
const headerSize = 1024

// maxInterpreterDepth bounds #! chains the way the kernel does: a script may
// name a script as its interpreter, at most this many times.
const maxInterpreterDepth = 4

// target is what inspectTarget learns about a program.
type target struct {
	kind targetKind
	// interpreters are the #! interpreters the kernel opens to run a
	// script, outermost first; empty for anything else. The kernel opens
	// each one for execution by path, so each needs Landlock's execute
	// right like the program itself.
	interpreters []string
}

// inspectTarget reads the header of the opened program (fd may be O_PATH)
// and says how the kernel will load it.
//
// An ELF64 file with a PT_INTERP program header is dynamic. Static ELF,
// static-PIE (ET_DYN without PT_INTERP: the kernel jumps straight to its
// entry, and it ignores LD_PRELOAD) and every other format are static. Unlike
// the reference tool, which classes every ET_DYN as dynamic, static-PIE
// programs therefore get no loader allowances. A "#!" script is not loaded
// itself: the kernel execs its interpreter, so the script has the
// interpreter's kind (followed through nested scripts as the kernel does).
// Treating an unknown format as static fails closed: a dynamic program
// misclassified as static cannot map its libraries and does not start.
func inspectTarget(fd int) (target, error) {
	var t target
	err := t.inspectAt(fd, 0)
	return t, err
}

// inspectAt inspects a program reached through depth #! lines.
func (t *target) inspectAt(fd, depth int) error {
	head, err := readHeader(fd)
	if err != nil {
		return err
	}
	interp, ok := scriptInterpreter(head)
	if !ok {
		t.kind, err = elfKind(head, fdReader(fd))
		return err
	}
	if depth >= maxInterpreterDepth {
		return fmt.Errorf("inspect program: more than %d nested #! interpreters (%s)", maxInterpreterDepth, interp)
	}
	t.interpreters = append(t.interpreters, interp)
	ifd, err := unix.Open(interp, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("inspect #! interpreter %s: %w", interp, err)
	}
	defer unix.Close(ifd)
	return t.inspectAt(ifd, depth+1)
}

// readHeader returns the first headerSize bytes of the file (fewer if it is
// shorter).
func readHeader(fd int) ([]byte, error) {
	buf := make([]byte, headerSize)
	n, err := preadFile(fd, buf, 0)
	if err != nil {
		return nil, fmt.Errorf("inspect program: read header: %w", err)
	}
	return buf[:n], nil
}

// preadFile reads at off. An O_PATH descriptor cannot be read, so it is
// reopened for reading through /proc/self/fd.
func preadFile(fd int, buf []byte, off int64) (int, error) {
	n, err := unix.Pread(fd, buf, off)
	if !errors.Is(err, unix.EBADF) {
		return n, err
	}
	rfd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("reopen for reading: %w", err)
	}
	defer unix.Close(rfd)
	return unix.Pread(rfd, buf, off)
}

// scriptInterpreter parses a "#!" line the way the kernel's binfmt_script
// does: optional blanks, then the interpreter path up to a blank or newline.
func scriptInterpreter(head []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(head, []byte("#!"))
	if !ok {
		return "", false
	}
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[:i]
	}
	rest = bytes.TrimLeft(rest, " \t")
	if i := bytes.IndexAny(rest, " \t"); i >= 0 {
		rest = rest[:i]
	}
	if len(rest) == 0 || bytes.IndexByte(rest, 0) >= 0 {
		return "", false
	}
	return string(rest), true
}

// ELF header fields elfKind reads (the ELF specification's names), parsed
// by hand: debug/elf would cost every run its package initialisation.
const (
	elfMagic      = "\x7fELF"
	elfClassIndex = 4 // EI_CLASS
	elfDataIndex  = 5 // EI_DATA
	elfClass64    = 2 // ELFCLASS64
	elfDataLSB    = 1 // ELFDATA2LSB
	elfDataMSB    = 2 // ELFDATA2MSB
	elfPTInterp   = 3 // PT_INTERP
)

// elfKind classes an ELF64 file by its program headers: head is the start
// of the file, r reads program headers that lie beyond it. Anything that is
// not ELF64 with a PT_INTERP header is static.
func elfKind(head []byte, r io.ReaderAt) (targetKind, error) {
	if len(head) < 64 || !bytes.HasPrefix(head, []byte(elfMagic)) || head[elfClassIndex] != elfClass64 {
		return kindStatic, nil
	}
	var order binary.ByteOrder
	switch head[elfDataIndex] {
	case elfDataLSB:
		order = binary.LittleEndian
	case elfDataMSB:
		order = binary.BigEndian
	default:
		return kindStatic, nil
	}
	phoff := order.Uint64(head[32:])
	phentsize := uint64(order.Uint16(head[54:]))
	phnum := uint64(order.Uint16(head[56:]))
	// The kernel refuses other header sizes and more than 64 KiB of
	// headers; such a file does not run at all.
	if phentsize != 56 || phnum == 0 || phentsize*phnum > 65536 {
		return kindStatic, nil
	}
	phdrs, err := readAt(head, r, phoff, phentsize*phnum)
	if err != nil {
		return kindStatic, err
	}
	for i := uint64(0); i < phnum; i++ {
		if order.Uint32(phdrs[i*phentsize:]) == elfPTInterp {
			return kindDynamic, nil
		}
	}
	return kindStatic, nil
}

// readAt returns n bytes at off, from head when they lie inside it; short
// files yield an error rather than a guess.
func readAt(head []byte, r io.ReaderAt, off, n uint64) ([]byte, error) {
	if off+n >= off && off+n <= uint64(len(head)) {
		return head[off : off+n], nil
	}
	if off > 1<<40 || off+n < off {
		return nil, fmt.Errorf("inspect program: program headers at offset %d lie beyond any real file", off)
	}
	buf := make([]byte, n)
	got, err := r.ReadAt(buf, int64(off))
	if uint64(got) == n {
		return buf, nil
	}
	if err == nil || err == io.EOF {
		return nil, fmt.Errorf("inspect program: truncated ELF: program headers end at %d, after the end of the file", off+n)
	}
	return nil, fmt.Errorf("inspect program: read program headers: %w", err)
}

// fdReader reads a program's fd at an offset.
type fdReader int

func (fd fdReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := preadFile(int(fd), p, off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}
