package preload

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

// childEnv selects the re-executed test binary's role: install a filter that
// kills the process on prctl(LoaderDoneOption), then exec os.Args[1:].
const childEnv = "PRELOAD_TEST_TRAP_AND_EXEC"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		trapAndExec()
	}
	os.Exit(m.Run())
}

// trapAndExec makes the constructor's prctl observable: the process dies with
// SIGSYS exactly when the preload object ran.
func trapAndExec() {
	runtime.LockOSThread()
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 3, K: unix.SYS_PRCTL},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 16},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: promises.LoaderDoneOption},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_KILL_PROCESS},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		os.Exit(90)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog))); e != 0 {
		os.Exit(91)
	}
	env := []string{}
	if p := os.Getenv("LD_PRELOAD"); p != "" {
		env = append(env, "LD_PRELOAD="+p)
	}
	syscall.Exec(os.Args[1], os.Args[1:], env)
	os.Exit(92)
}

// TestLoads runs real dynamic programs with the object preloaded: they die
// with SIGSYS from the trap on the constructor's prctl, and exit 0 without
// the preload.
func TestLoads(t *testing.T) {
	path, err := Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		prog func(*testing.T) string
	}{
		{"glibc", func(*testing.T) string { return "/bin/true" }},
		{"musl", muslProgram},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog := tc.prog(t)
			if err := runTrapped(prog, ""); err != nil {
				t.Fatalf("without the preload: %v, want exit 0", err)
			}
			err := runTrapped(prog, path)
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("with the preload: %v, want death by SIGSYS", err)
			}
			ws := ee.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != syscall.SIGSYS {
				t.Fatalf("with the preload: %v, want death by SIGSYS (the constructor's prctl)", err)
			}
		})
	}
}

func runTrapped(prog, preload string) error {
	cmd := exec.Command(os.Args[0], prog)
	cmd.Env = []string{childEnv + "=1"}
	if preload != "" {
		cmd.Env = append(cmd.Env, "LD_PRELOAD="+preload)
	}
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

// muslProgram builds a trivial dynamic musl program, or skips.
func muslProgram(t *testing.T) string {
	gcc, err := exec.LookPath("musl-gcc")
	if err != nil {
		t.Skip("musl-gcc not installed")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "true.c")
	if err := os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "true-musl")
	if out, err := exec.Command(gcc, "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("musl-gcc: %v\n%s", err, out)
	}
	return bin
}
