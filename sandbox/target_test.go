package sandbox

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/preload"
)

func TestInspectTarget(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	goprobe := testProgram(t, "goprobe")
	shScript := write("sh-script", "#!/bin/sh\nexit 0\n", 0o755)
	staticScript := write("static-script", "#! "+goprobe+" -x\n", 0o755)
	nested := write("nested", "#!"+staticScript+"\n", 0o755)
	loop := filepath.Join(dir, "loop")
	write("loop", "#!"+loop+"\n", 0o755)
	for _, tc := range []struct {
		name    string
		path    string
		want    targetKind
		wantErr bool
		interps []string
	}{
		{"glibc program", "/bin/true", kindDynamic, false, nil},
		{"static Go program", goprobe, kindStatic, false, nil},
		{"static-PIE (ET_DYN without PT_INTERP): the preload object", writeBytes(t, dir, "pie", preload.Object()), kindStatic, false, nil},
		{"script run by a dynamic shell", shScript, kindDynamic, false, []string{"/bin/sh"}},
		{"script run by a static program", staticScript, kindStatic, false, []string{goprobe}},
		{"script run by a script", nested, kindStatic, false, []string{staticScript, goprobe}},
		{"script that runs itself", loop, kindStatic, true, nil},
		{"script with a missing interpreter", write("missing", "#!/nonexistent/interp\n", 0o755), kindStatic, true, nil},
		{"text file", write("text", "hello\n", 0o755), kindStatic, false, nil},
		{"empty file", write("empty", "", 0o755), kindStatic, false, nil},
		{"truncated ELF", writeBytes(t, dir, "trunc", truncatedELF()), kindStatic, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, flags := range []int{unix.O_PATH, unix.O_RDONLY} {
				fd, err := unix.Open(tc.path, flags|unix.O_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				got, err := inspectTarget(fd)
				unix.Close(fd)
				if got.kind != tc.want || (err != nil) != tc.wantErr {
					t.Errorf("open flags %#x: inspectTarget = %v, %v; want %v, error %v", flags, got.kind, err, tc.want, tc.wantErr)
				}
				if !tc.wantErr && !slices.Equal(got.interpreters, tc.interps) {
					t.Errorf("open flags %#x: interpreters %q, want %q", flags, got.interpreters, tc.interps)
				}
			}
		})
	}
}

// TestInspectTargetFarHeaders covers program headers beyond the first read.
func TestInspectTargetFarHeaders(t *testing.T) {
	path := writeBytes(t, t.TempDir(), "far", farHeadersELF())
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if got, err := inspectTarget(fd); got.kind != kindDynamic || err != nil {
		t.Errorf("inspectTarget = %v, %v; want dynamic (PT_INTERP past %d bytes)", got, err, headerSize)
	}
}

// TestInspectTargetMusl: musl programs name /lib/ld-musl-*.so.1 in PT_INTERP.
func TestInspectTargetMusl(t *testing.T) {
	fd, err := unix.Open(testProgram(t, "muslprobe"), unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if got, err := inspectTarget(fd); got.kind != kindDynamic || err != nil {
		t.Errorf("inspectTarget = %v, %v; want dynamic", got, err)
	}
}

func TestScriptInterpreter(t *testing.T) {
	for _, tc := range []struct {
		head string
		want string
		ok   bool
	}{
		{"#!/bin/sh\n", "/bin/sh", true},
		{"#! /usr/bin/env python3\n", "/usr/bin/env", true},
		{"#!\t/bin/sh -e\nrest", "/bin/sh", true},
		{"#!/bin/sh", "/bin/sh", true},
		{"#!\n", "", false},
		{"#!   \n/bin/sh", "", false},
		{"#!/bin/s\x00h\n", "", false},
		{"\x7fELF", "", false},
		{"", "", false},
	} {
		got, ok := scriptInterpreter([]byte(tc.head))
		if got != tc.want || ok != tc.ok {
			t.Errorf("scriptInterpreter(%q) = %q, %v; want %q, %v", tc.head, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzElfKind feeds arbitrary files to the ELF classifier: it must not
// panic or allocate without bound, and a file it calls dynamic has a
// PT_INTERP header that debug/elf agrees on when debug/elf can parse it.
func FuzzElfKind(f *testing.F) {
	for _, seed := range [][]byte{preload.Object(), truncatedELF(), farHeadersELF(), []byte("#!/bin/sh\n"), {}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		head := data[:min(len(data), headerSize)]
		kind, err := elfKind(head, bytes.NewReader(data))
		if err != nil || kind != kindDynamic {
			return
		}
		ef, perr := elf.NewFile(bytes.NewReader(data))
		if perr != nil {
			return
		}
		for _, p := range ef.Progs {
			if p.Type == elf.PT_INTERP {
				return
			}
		}
		t.Errorf("classified dynamic, but debug/elf finds no PT_INTERP among %d headers", len(ef.Progs))
	})
}

func FuzzScriptInterpreter(f *testing.F) {
	for _, seed := range []string{"#!/bin/sh\n", "#! /usr/bin/env a b\n", "#!", "#!\x00"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		interp, ok := scriptInterpreter(head)
		if ok && (interp == "" || bytes.ContainsAny([]byte(interp), " \t\n\x00")) {
			t.Errorf("scriptInterpreter(%q) = %q, a path with separators", head, interp)
		}
	})
}

// elfWithInterp returns an ELF64 executable header followed, at phoff, by
// one PT_LOAD and one PT_INTERP program header; total is the file length.
func elfWithInterp(phoff uint64, total int) []byte {
	b := make([]byte, max(total, int(phoff)+2*56))
	le := binary.LittleEndian
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS], b[elf.EI_DATA], b[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), 1
	le.PutUint16(b[16:], uint16(elf.ET_EXEC))
	le.PutUint16(b[18:], uint16(elf.EM_X86_64))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], phoff)
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], 2)
	le.PutUint32(b[phoff:], uint32(elf.PT_LOAD))
	le.PutUint32(b[phoff+56:], uint32(elf.PT_INTERP))
	return b[:total]
}

// farHeadersELF has its program headers past the first headerSize bytes.
func farHeadersELF() []byte { return elfWithInterp(4096, 4096+2*56) }

// truncatedELF claims program headers past its end.
func truncatedELF() []byte { return elfWithInterp(4096, 4096+56) }

func writeBytes(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
