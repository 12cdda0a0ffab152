package supervisor

import (
	"slices"
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

func TestViolationLines(t *testing.T) {
	for _, tc := range []struct {
		v    Violation
		want []string
	}{
		{Violation{Nr: 41, Syscall: "socket", Promises: []string{"inet", "unix", "dns", "anet"}}, []string{
			"error: protected syscall socket (ord=029); pledge promise 'inet' to allow",
			"error: protected syscall socket (ord=029); pledge promise 'unix' to allow",
			"error: protected syscall socket (ord=029); pledge promise 'dns' to allow",
			"error: protected syscall socket (ord=029); pledge promise 'anet' to allow",
		}},
		{Violation{Nr: 10, Syscall: "mprotect", Promises: []string{"stdio"}}, []string{
			"error: protected syscall mprotect (ord=00a); pledge promise 'stdio' to allow",
		}},
		{Violation{Nr: 101, Syscall: "ptrace"}, []string{"error: bad syscall ptrace (ord=065)"}},
		{Violation{Nr: 1000, Syscall: "unknown"}, []string{"error: bad syscall unknown (ord=3e8)"}},
	} {
		if got := tc.v.Lines(); !slices.Equal(got, tc.want) {
			t.Errorf("%+v.Lines() =\n%q\nwant\n%q", tc.v, got, tc.want)
		}
	}
}

func TestNewViolation(t *testing.T) {
	v := newViolation(promises.AMD64, 7, 41)
	if v.PID != 7 || v.Syscall != "socket" || !slices.Contains(v.Promises, "inet") {
		t.Errorf("newViolation(socket) = %+v, want pid 7, socket, promises including inet", v)
	}
}
