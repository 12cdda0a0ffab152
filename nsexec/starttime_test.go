package nsexec

import (
	"os"
	"strings"
	"testing"
)

func TestParseStartTime(t *testing.T) {
	tail := " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 20 21\n"
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"17 (sleep)" + tail, 4242, true},
		{"17 (a) b (c) 1 2 3)" + tail, 4242, true},
		{"17 (with space)" + tail, 4242, true},
		{"17 ())" + tail, 4242, true},
		{"17 (sleep) S 1 2", 0, false},
		{"17 sleep" + tail, 0, false},
		{"17 (sleep)" + strings.Replace(tail, "4242", "-1", 1), 0, false},
	} {
		got, err := parseStartTime([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseStartTime(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestStartTimeOfSelf(t *testing.T) {
	st, err := startTime(os.Getpid())
	if err != nil || st == 0 {
		t.Errorf("startTime(self) = %d, %v", st, err)
	}
}

func FuzzParseStartTime(f *testing.F) {
	f.Add([]byte("1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 9 1000 100\n"))
	f.Add([]byte("9 (a) (b)) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 77 20 21\n"))
	f.Add([]byte("(x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseStartTime(b)
		if err == nil && !strings.Contains(string(b), ")") {
			t.Errorf("parseStartTime(%q) = %d without a command name", b, v)
		}
	})
}
