package driver

import (
	"fmt"
	"strings"
)

// importance scales a task's CPU weight relative to other tasks on the node.
// The old driver mapped it to a nice value, which only orders processes
// within one cgroup; a weight multiplier works across task cgroups, where the
// kernel actually arbitrates between tasks. "normal" keeps the weight the
// agent derived from `resources.cpu`: it is the baseline, not a boost.
type importance int

const (
	importanceLowest importance = iota
	importanceLow
	importanceNormal
	importanceHigh
	importanceHighest
)

var importanceNames = [...]string{"lowest", "low", "normal", "high", "highest"}

// importanceFactor is the CPU weight multiplier of each level, in quarters:
// each step halves or doubles the share of contended CPU time.
var importanceFactor = [...]int64{1, 2, 4, 8, 16}

// parseImportance reads the task's importance; empty means normal.
func parseImportance(s string) (importance, error) {
	if s == "" {
		return importanceNormal, nil
	}
	for i, name := range importanceNames {
		if strings.EqualFold(s, name) {
			return importance(i), nil
		}
	}
	return 0, fmt.Errorf("importance %q: accepted values are %s", s, strings.Join(importanceNames[:], ", "))
}

func (i importance) String() string { return importanceNames[i] }

// scaleShares applies the importance to a CPU share count (the agent's
// `resources.cpu`, in MHz), keeping the result at least 2, the smallest
// value cgroup v1 accepts.
func (i importance) scaleShares(shares int64) int64 {
	scaled := shares * importanceFactor[i] / importanceFactor[importanceNormal]
	return max(scaled, 2)
}
