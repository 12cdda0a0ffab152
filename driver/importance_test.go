package driver

import "testing"

func TestImportance(t *testing.T) {
	tests := []struct {
		in     string
		want   importance
		shares int64
	}{
		{"", importanceNormal, 1000},
		{"normal", importanceNormal, 1000},
		{"NORMAL", importanceNormal, 1000},
		{"lowest", importanceLowest, 250},
		{"low", importanceLow, 500},
		{"high", importanceHigh, 2000},
		{"highest", importanceHighest, 4000},
	}
	for _, tt := range tests {
		got, err := parseImportance(tt.in)
		if err != nil {
			t.Errorf("parseImportance(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseImportance(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if s := got.scaleShares(1000); s != tt.shares {
			t.Errorf("%v.scaleShares(1000) = %d, want %d", got, s, tt.shares)
		}
	}
	if s := importanceLowest.scaleShares(3); s != 2 {
		t.Errorf("lowest of 3 shares = %d, want the floor 2", s)
	}
	if _, err := parseImportance("urgent"); err == nil {
		t.Error("parseImportance accepted \"urgent\"")
	}
}
