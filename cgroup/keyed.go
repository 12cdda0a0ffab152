package cgroup

import (
	"fmt"
	"strconv"
	"strings"
)

// parseKeyed parses the flat keyed format shared by cpu.stat, memory.stat,
// memory.events, cpuacct.stat and memory.oom_control: one "key value" pair
// per line with an unsigned decimal value. Lines whose value is not a
// number (v1 memory.oom_control has none today, but the format leaves room)
// are an error so a misread file never turns into zeros silently.
func parseKeyed(s string) (map[string]uint64, error) {
	out := map[string]uint64{}
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key, val, ok := strings.Cut(line, " ")
		if !ok || key == "" {
			return nil, fmt.Errorf("line %q: want \"KEY VALUE\"", line)
		}
		v, err := strconv.ParseUint(strings.TrimSpace(val), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %q: value: %w", line, err)
		}
		out[key] = v
	}
	return out, nil
}

// readKeyed reads and parses a flat keyed file.
func readKeyed(dir, name string) (map[string]uint64, error) {
	s, err := readFile(dir, name)
	if err != nil {
		return nil, err
	}
	m, err := parseKeyed(s)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", dir, name, err)
	}
	return m, nil
}
