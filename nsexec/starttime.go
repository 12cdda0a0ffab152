package nsexec

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// startTime returns field 22 of /proc/<pid>/stat: when the process started,
// in clock ticks since boot. Together with the pid it names one process for
// the lifetime of the machine, so a pid reused after a reboot-free restart of
// the driver is never mistaken for the task's init.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStartTime(b)
}

// parseStartTime extracts field 22 from a /proc/<pid>/stat line. Field 2,
// the command name, is chosen by the process and may contain spaces and
// parentheses, so fields are counted after the last ')'.
func parseStartTime(stat []byte) (uint64, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("stat line %.40q has no command name in parentheses", stat)
	}
	// After ")" come field 3 (state) onwards; field 22 is the 20th of them.
	fields := bytes.Fields(stat[end+1:])
	const index = 22 - 3
	if len(fields) <= index {
		return 0, fmt.Errorf("stat line has %d fields after the command name, want at least %d", len(fields), index+1)
	}
	v, err := strconv.ParseUint(string(fields[index]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stat field 22 (starttime): %w", err)
	}
	return v, nil
}
