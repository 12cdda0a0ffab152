package promises

import (
	"slices"
	"strings"
	"testing"
)

// missingOnARM64 are the catalog's names arm64 lacks: the calls the generic
// table replaced with *at variants, clone, ppoll and so on.
var missingOnARM64 = []string{
	"access", "alarm", "arch_prctl", "chmod", "chown", "creat", "dup2", "epoll_create",
	"epoll_wait", "eventfd", "fork", "futimesat", "getdents", "getpgrp", "lchown", "link",
	"lstat", "mkdir", "mknod", "open", "pause", "pipe", "poll", "readlink", "rename",
	"rmdir", "select", "signalfd", "stat", "symlink", "unlink", "utime", "utimes", "vfork",
}

// catalogNames returns every system-call name the catalog mentions.
func catalogNames() []string {
	var names []string
	add := func(rules []rule) {
		for _, r := range rules {
			names = append(names, r.syscall)
		}
	}
	for _, rules := range catalog() {
		add(rules())
	}
	add(alwaysAllowed())
	add(fileExecMmap())
	add(loaderDone())
	names = append(names, forcedENOSYS...)
	names = append(names, cookieSyscalls...)
	slices.Sort(names)
	return slices.Compact(names)
}

func TestCatalogNamesExist(t *testing.T) {
	var missing []string
	for _, name := range catalogNames() {
		if _, ok := SyscallNumber(AMD64, name); !ok {
			t.Errorf("catalog names %q, which x86_64 does not have", name)
		}
		if _, ok := SyscallNumber(ARM64, name); !ok {
			missing = append(missing, name)
		}
	}
	if !slices.Equal(missing, missingOnARM64) {
		t.Errorf("names missing on arm64 = %q, want %q", missing, missingOnARM64)
	}
	if len(catalog()) != promiseCount {
		t.Errorf("catalog has %d promises, want %d", len(catalog()), promiseCount)
	}
}

func TestSyscallNames(t *testing.T) {
	tests := []struct {
		a    Arch
		nr   uint32
		name string
	}{
		{AMD64, 0, "read"}, {AMD64, 41, "socket"}, {AMD64, 435, "clone3"}, {AMD64, 156, "_sysctl"},
		{ARM64, 56, "openat"}, {ARM64, 198, "socket"}, {ARM64, 435, "clone3"}, {ARM64, 279, "memfd_create"},
		{AMD64, 400, "unknown"}, {ARM64, 1 << 30, "unknown"},
	}
	for _, tt := range tests {
		if got := SyscallName(tt.a, tt.nr); got != tt.name {
			t.Errorf("SyscallName(%s, %d) = %q, want %q", tt.a, tt.nr, got, tt.name)
		}
		if tt.name == "unknown" {
			continue
		}
		if nr, ok := SyscallNumber(tt.a, tt.name); !ok || nr != tt.nr {
			t.Errorf("SyscallNumber(%s, %q) = %d, %v", tt.a, tt.name, nr, ok)
		}
	}
}

func TestPromisesMentioning(t *testing.T) {
	tests := []struct {
		a    Arch
		name string
		want []string
	}{
		{AMD64, "socket", []string{"inet", "unix", "dns", "anet"}},
		{AMD64, "openat", []string{"rpath", "wpath", "cpath", "dns"}},
		{ARM64, "openat", []string{"rpath", "wpath", "cpath", "dns"}},
		{AMD64, "tkill", nil},
		{AMD64, "waitid", []string{"stdio"}},
		{AMD64, "clone", []string{"stdio", "proc"}},
	}
	for _, tt := range tests {
		nr, _ := SyscallNumber(tt.a, tt.name)
		if got := PromisesMentioning(tt.a, nr); !slices.Equal(got, tt.want) {
			t.Errorf("PromisesMentioning(%s, %s) = %q, want %q", tt.a, tt.name, got, tt.want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	var b strings.Builder
	if err := WriteTable(&b, AMD64); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nstdio\n", "\nanet\n",
		"  fcntl                     72  if cmd in {F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC}\n",
		"  getppid                  110\n",
		"(level == SOL_SOCKET and optname in {",
		"# allowed under every promise set: exit, exit_group, arch_prctl, rt_sigreturn\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q", want)
		}
	}
	b.Reset()
	if err := WriteTable(&b, ARM64); err != nil {
		t.Fatal(err)
	}
	if want := "# allowed under every promise set: exit, exit_group, rt_sigreturn\n"; !strings.Contains(b.String(), want) {
		t.Errorf("arm64 table lacks %q", want)
	}
	for _, p := range Describe(ARM64) {
		for _, s := range p.Syscalls {
			if s.Name == "open" {
				t.Errorf("arm64 table lists open under %s", p.Name)
			}
		}
	}
}

func TestDisassemble(t *testing.T) {
	prog, err := Compile(Stdio, Options{Arch: AMD64, SelfPID: testPID})
	if err != nil {
		t.Fatal(err)
	}
	text := Disassemble(prog)
	for _, want := range []string{"   0  ld   arch\n", "jeq  #0xc000003e, 2, ", "ld   nr\n", "ret  ALLOW\n", "ret  KILL_PROCESS\n", "ld   args[4].hi\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("disassembly lacks %q:\n%s", want, text)
		}
	}
	if got := strings.Count(text, "\n"); got != len(prog) {
		t.Errorf("%d lines for %d instructions", got, len(prog))
	}
}
