package driver

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// rlimitResources maps the names accepted in a task's `rlimits` block to
// setrlimit(2) resources: the RLIMIT_ suffix in lower case, as in prlimit(1).
var rlimitResources = map[string]int{
	"as":         unix.RLIMIT_AS,
	"core":       unix.RLIMIT_CORE,
	"cpu":        unix.RLIMIT_CPU,
	"data":       unix.RLIMIT_DATA,
	"fsize":      unix.RLIMIT_FSIZE,
	"locks":      unix.RLIMIT_LOCKS,
	"memlock":    unix.RLIMIT_MEMLOCK,
	"msgqueue":   unix.RLIMIT_MSGQUEUE,
	"nice":       unix.RLIMIT_NICE,
	"nofile":     unix.RLIMIT_NOFILE,
	"nproc":      unix.RLIMIT_NPROC,
	"rss":        unix.RLIMIT_RSS,
	"rtprio":     unix.RLIMIT_RTPRIO,
	"rttime":     unix.RLIMIT_RTTIME,
	"sigpending": unix.RLIMIT_SIGPENDING,
	"stack":      unix.RLIMIT_STACK,
}

// rlimitNames lists the accepted names, sorted, for error messages.
func rlimitNames() string {
	names := make([]string, 0, len(rlimitResources))
	for n := range rlimitResources {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// rlimitSetting is one validated entry of the rlimits block; the value is
// both the soft and the hard limit.
type rlimitSetting struct {
	Resource int    `json:"resource"`
	Value    uint64 `json:"value"`
}

// parseRlimits validates the rlimits block: known names only, values ≥ 0 or
// -1 for unlimited. The result is sorted by name so a task's limits are
// applied in the same order on every start.
func parseRlimits(block map[string]int64) ([]rlimitSetting, error) {
	names := make([]string, 0, len(block))
	for n := range block {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []rlimitSetting
	for _, name := range names {
		res, ok := rlimitResources[name]
		if !ok {
			return nil, fmt.Errorf("rlimits: unknown limit %q; accepted names: %s", name, rlimitNames())
		}
		v := block[name]
		switch {
		case v == -1:
			out = append(out, rlimitSetting{Resource: res, Value: math.MaxUint64})
		case v < 0:
			return nil, fmt.Errorf("rlimits.%s = %d: use a value ≥ 0, or -1 for unlimited", name, v)
		default:
			out = append(out, rlimitSetting{Resource: res, Value: uint64(v)})
		}
	}
	return out, nil
}
