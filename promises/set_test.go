package promises

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Set
	}{
		{"", 0},
		{"stdio", Stdio},
		{"  STDIO\tRpath\r\nstdio ", Stdio | Rpath},
		{"stdio rpath wpath cpath dpath flock fattr inet unix dns tty recvfd proc exec id unveil sendfd settime prot_exec vminfo tmppath chown anet", All()},
		{"anet prot_exec", Anet | ProtExec},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in, wantInErr string
	}{
		{"stdio bogus", `"bogus"`},
		{"execnative", `"exec"`},
		{"thread", `"stdio"`},
		{"stdio,rpath", `"stdio,rpath"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", tt.in)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantInErr) || !strings.Contains(err.Error(), "valid promises: stdio rpath") {
			t.Errorf("Parse(%q) error %q does not name %s and list the valid promises", tt.in, err, tt.wantInErr)
		}
	}
}

func TestStringIsCanonical(t *testing.T) {
	if got := (Anet | Stdio | Rpath).String(); got != "stdio rpath anet" {
		t.Errorf("String() = %q", got)
	}
	if got := All().String(); got != strings.Join(Names(), " ") {
		t.Errorf("All().String() = %q", got)
	}
	for i, name := range Names() {
		if got := Set(1 << i).String(); got != name {
			t.Errorf("bit %d: String() = %q, want %q", i, got, name)
		}
	}
}

func TestConstantsFollowReferenceBits(t *testing.T) {
	bits := map[Set]int{Stdio: 0, Rpath: 1, Wpath: 2, Cpath: 3, Dpath: 4, Flock: 5, Fattr: 6, Inet: 7,
		Unix: 8, DNS: 9, TTY: 10, Recvfd: 11, Proc: 12, Exec: 13, ID: 14, Unveil: 15, Sendfd: 16,
		Settime: 17, ProtExec: 18, Vminfo: 19, Tmppath: 20, Chown: 21, Anet: 22}
	if len(bits) != promiseCount {
		t.Fatalf("%d constants for %d promises", len(bits), promiseCount)
	}
	for s, bit := range bits {
		if s != 1<<bit {
			t.Errorf("%s = %#x, want bit %d", s, uint32(s), bit)
		}
	}
}

// FuzzParse checks that Parse never panics and that its result round-trips
// through String.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"", "stdio rpath", "STDIO\tinet\ndns", "execnative", "stdio  bogus", "\x00\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			return
		}
		again, err := Parse(s.String())
		if err != nil || again != s {
			t.Fatalf("Parse(%q) = %v, but Parse(String()) = %v, %v", in, s, again, err)
		}
	})
}
