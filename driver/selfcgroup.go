package driver

import (
	"bufio"
	"io"
	"os"
	"path"
	"strings"
)

// selfCgroups reads /proc/self/cgroup: the driver's group in each
// hierarchy, keyed by controller name ("" for the unified v2 hierarchy, the
// "0::" line).
func selfCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseProcCgroup(f), nil
}

// parseProcCgroup parses the lines "ID:CONTROLLERS:PATH" of a
// /proc/<pid>/cgroup file. Co-mounted controllers ("cpu,cpuacct") each get
// the path; named hierarchies ("name=systemd") keep their name. Malformed
// lines and relative paths are skipped: the kernel writes neither.
func parseProcCgroup(r io.Reader) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			continue
		}
		p := path.Clean(parts[2])
		if parts[1] == "" {
			out[""] = p
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = p
		}
	}
	return out
}
