package driver

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat;
// it is 100 on every Linux architecture Go supports.
const clockTicks = 100

// procTree returns the stat of root and of all its descendants, for tasks
// that run without a cgroup.
func procTree(root int) (map[int]procStat, error) {
	procs, err := readProcs()
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for pid, p := range procs {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	tree := map[int]procStat{}
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		p, ok := procs[pid]
		if !ok {
			continue
		}
		tree[pid] = p
		queue = append(queue, children[pid]...)
	}
	return tree, nil
}

// readProcStats reads the stat of each pid; pids that exited meanwhile are
// left out.
func readProcStats(pids []int) map[int]procStat {
	out := make(map[int]procStat, len(pids))
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		if p, err := parseProcStat(b); err == nil {
			out[pid] = p
		}
	}
	return out
}

// sumProcStats adds up CPU time and resident memory of procs. Usage is the
// sum of RSS, which counts pages the processes share once per process: /proc
// has nothing better without a cgroup.
func sumProcStats(procs map[int]procStat) cgroup.Stats {
	var s cgroup.Stats
	for _, p := range procs {
		c := p.cpuStats()
		s.CPU.UserNanos += c.UserNanos
		s.CPU.SystemNanos += c.SystemNanos
		s.Memory.RSS += p.rssBytes()
	}
	s.CPU.TotalNanos = s.CPU.UserNanos + s.CPU.SystemNanos
	s.CPU.Measured = []string{"User Mode", "System Mode"}
	s.Memory.Usage = s.Memory.RSS
	s.Memory.Measured = []string{"RSS", "Usage"}
	return s
}

// cpuStats is the process's cumulative CPU time.
func (p procStat) cpuStats() cgroup.CPUStats {
	c := cgroup.CPUStats{
		UserNanos:   p.utime * (1e9 / clockTicks),
		SystemNanos: p.stime * (1e9 / clockTicks),
		Measured:    []string{"User Mode", "System Mode"},
	}
	c.TotalNanos = c.UserNanos + c.SystemNanos
	return c
}

func (p procStat) rssBytes() uint64 { return p.rss * uint64(os.Getpagesize()) }

// procStat is what procTreeStats needs of /proc/<pid>/stat.
type procStat struct {
	ppid         int
	utime, stime uint64
	rss          uint64 // pages
}

// readProcs reads every process's stat line.
func readProcs() (map[int]procStat, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(entries))
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return readProcStats(pids), nil
}

// parseProcStat parses a stat line; the command name may hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseProcStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("stat line without ')'")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24.
	if len(f) < 22 {
		return procStat{}, fmt.Errorf("stat line has %d fields after the name, want ≥ 22", len(f))
	}
	var p procStat
	var err error
	if p.ppid, err = strconv.Atoi(f[1]); err != nil {
		return procStat{}, err
	}
	for _, x := range []struct {
		dst *uint64
		idx int
	}{{&p.utime, 11}, {&p.stime, 12}, {&p.rss, 21}} {
		if *x.dst, err = strconv.ParseUint(f[x.idx], 10, 64); err != nil {
			return procStat{}, err
		}
	}
	return p, nil
}

// cpuinfoMHz reads the first "cpu MHz" of /proc/cpuinfo.
func cpuinfoMHz() (float64, error) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "cpu MHz" {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, errNoMHz
}
