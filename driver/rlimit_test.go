package driver

import (
	"math"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseRlimits(t *testing.T) {
	got, err := parseRlimits(map[string]int64{"nproc": 64, "core": 0, "nofile": -1})
	if err != nil {
		t.Fatal(err)
	}
	want := []rlimitSetting{
		{unix.RLIMIT_CORE, 0},
		{unix.RLIMIT_NOFILE, math.MaxUint64},
		{unix.RLIMIT_NPROC, 64},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %v, want %v", i, got[i], want[i])
		}
	}
	for name := range rlimitResources {
		if _, err := parseRlimits(map[string]int64{name: 1}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseRlimitsRejects(t *testing.T) {
	tests := []struct {
		block map[string]int64
		want  string
	}{
		{map[string]int64{"files": 10}, `unknown limit "files"; accepted names: as, core`},
		{map[string]int64{"nofile": -2}, "rlimits.nofile = -2"},
	}
	for _, tt := range tests {
		_, err := parseRlimits(tt.block)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseRlimits(%v) = %v, want error containing %q", tt.block, err, tt.want)
		}
	}
}
