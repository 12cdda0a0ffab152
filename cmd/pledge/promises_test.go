package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

// reachedMark is what the probes write to stderr just before the call
// under test.
const reachedMark = "probe: calling\n"

// promiseCase is one row of the enforcement matrix: an action that needs
// exactly one promise on top of base.
type promiseCase struct {
	promise string
	base    string        // promises the action's setup needs besides promise
	unveils []string      // -v arguments, relative to the scratch directory
	action  []string      // probe verb and argument
	allowed syscall.Errno // the kernel's answer with the promise
	// landlock, when set, is the answer without the promise under either
	// penalty, because the promise only adds unveils (vminfo); otherwise
	// the filter answers EPERM, or SIGSYS under -k.
	landlock syscall.Errno
	calls    []string // names the denied call may be reported under
}

// promiseCases: every promise, the call it grants and nothing in base
// grants. The probes use clone for fork (as glibc does), openat, mkdirat or
// mkdir, unlinkat or unlink, depending on the language.
var promiseCases = []promiseCase{
	{promise: "stdio", action: []string{"getpid"}, calls: []string{"getpid"}},
	{promise: "rpath", base: "stdio", unveils: []string{"r:ro"}, action: []string{"read", "ro/file"}, calls: []string{"openat", "open"}},
	{promise: "wpath", base: "stdio", unveils: []string{"rw:rw"}, action: []string{"write", "rw/file"}, calls: []string{"openat", "open"}},
	{promise: "cpath", base: "stdio", unveils: []string{"c:c"}, action: []string{"mkdir", "c/new"}, calls: []string{"mkdirat", "mkdir"}},
	{promise: "dpath", base: "stdio", unveils: []string{"c:c"}, action: []string{"mkfifo", "c/fifo"}, calls: []string{"mknodat"}},
	{promise: "flock", base: "stdio", action: []string{"flock"}, calls: []string{"flock"}},
	{promise: "fattr", base: "stdio", unveils: []string{"r:ro"}, action: []string{"utimes", "ro/file"}, calls: []string{"utimensat"}},
	{promise: "inet", base: "stdio", action: []string{"udp"}, calls: []string{"socket"}},
	{promise: "unix", base: "stdio", action: []string{"unixsock"}, calls: []string{"socket"}},
	{promise: "dns", base: "stdio", action: []string{"udpsend"}, calls: []string{"socket"}},
	{promise: "tty", base: "stdio rpath wpath", unveils: []string{"rw:/dev/ptmx"}, action: []string{"tcgets", "/dev/ptmx"}, calls: []string{"ioctl"}},
	{promise: "recvfd", base: "stdio", action: []string{"recvmsg"}, calls: []string{"recvmsg"}},
	{promise: "proc", base: "stdio", action: []string{"fork"}, calls: []string{"clone"}},
	{promise: "exec", base: "stdio rpath", action: []string{"exec", "{probe}", "{probe}", "getpid"}, calls: []string{"execve"}},
	{promise: "id", base: "stdio", action: []string{"setresuid"}, calls: []string{"setresuid"}},
	{promise: "unveil", base: "stdio", action: []string{"landlock"}, calls: []string{"landlock_create_ruleset"}},
	{promise: "sendfd", base: "stdio", action: []string{"sendmsg"}, calls: []string{"sendmsg"}},
	{promise: "settime", base: "stdio", action: []string{"adjtime"}, calls: []string{"clock_adjtime"}},
	{promise: "prot_exec", base: "stdio", action: []string{"mprotect"}, calls: []string{"mprotect"}},
	// vminfo grants no call stdio lacks (sched_yield): its effect is the
	// automatic unveil of /proc/meminfo and friends.
	{promise: "vminfo", base: "stdio rpath", action: []string{"read", "/proc/meminfo"}, landlock: syscall.EACCES},
	{promise: "tmppath", base: "stdio", action: []string{"unlink", "{tmpfile}"}, calls: []string{"unlinkat", "unlink"}},
	{promise: "chown", base: "stdio", action: []string{"fchown"}, calls: []string{"fchown"}},
	// A non-blocking listener without a client: the kernel answers EAGAIN.
	{promise: "anet", base: "stdio", action: []string{"accept"}, allowed: syscall.EAGAIN, calls: []string{"socket"}},
}

// TestPromiseCases checks that the matrix names every promise once, in bit
// order, and only system calls the table knows.
func TestPromiseCases(t *testing.T) {
	var names []string
	for _, c := range promiseCases {
		names = append(names, c.promise)
		for _, name := range c.calls {
			if _, ok := promises.SyscallNumber(promises.AMD64, name); !ok {
				t.Errorf("%s: no system call %q on x86_64", c.promise, name)
			}
		}
	}
	if !slices.Equal(names, promises.Names()) {
		t.Errorf("matrix covers %q, want %q", names, promises.Names())
	}
}

// probeRun is one run of a probe in the matrix.
type probeRun struct {
	kind, probe string
	kill        bool
	granted     bool
}

// promiseProbes are the probes of the matrix; the stdio row uses the raw
// probe for the exact errno of its denial, the others cannot start without
// stdio.
func promiseProbes(t *testing.T) map[string]string {
	p := probes(t)
	if rawProbe != "" {
		p["raw"] = rawProbe
	}
	return p
}

// TestPromiseEnforcement runs, for every promise, its action with the
// promise (the kernel's answer), without it (EPERM and the violation line
// on stderr) and without it under -k (SIGSYS at the call), in the static Go
// and the dynamic C probe.
func TestPromiseEnforcement(t *testing.T) {
	for _, c := range promiseCases {
		for kind, probe := range promiseProbes(t) {
			if kind == "raw" && c.promise != "stdio" {
				continue
			}
			for _, r := range []probeRun{{kind, probe, false, true}, {kind, probe, false, false}, {kind, probe, true, false}} {
				mode := "denied"
				switch {
				case r.granted:
					mode = "allowed"
				case r.kill:
					mode = "killed"
				}
				t.Run(c.promise+"/"+kind+"/"+mode, func(t *testing.T) {
					t.Parallel()
					c.check(t, r)
				})
			}
		}
	}
}

// check runs one cell of the matrix and asserts its outcome.
func (c promiseCase) check(t *testing.T, r probeRun) {
	dir := scratch(t)
	set := c.base
	if r.granted {
		set += " " + c.promise
	}
	var env []string
	// The Go runtime reads transparent_hugepage/hpage_pmd_size at start-up,
	// which needs rpath: fatal under -k without it.
	goRuntimeKilled := r.kind == "static" && r.kill && c.promise == "rpath"
	if r.kind == "static" && r.kill && !strings.Contains(set, "rpath") && c.promise != "rpath" {
		set += " rpath"
	}
	args := []string{"-p", strings.TrimSpace(set)}
	if r.kill {
		args = append(args, "-k")
	}
	for _, u := range c.unveils {
		args = append(args, "-v", u)
	}
	args = append(args, r.probe)
	args = append(args, c.expand(t, r.probe)...)
	res := runPledgeEnv(t, dir, env, args...)
	reached := strings.Contains(res.stderr, reachedMark) || r.kind == "raw"
	fail := func(want string) {
		t.Helper()
		t.Errorf("pledge %q: exit %d signal %v, stderr %.600q; want %s", args, res.code, res.signal, res.stderr, want)
	}
	switch {
	case r.granted:
		if res.code != int(c.allowed) || res.signal != 0 || !reached {
			fail(fmt.Sprintf("exit %d (%v) at the call", c.allowed, c.allowed))
		}
	case c.landlock != 0:
		if res.code != int(c.landlock) || res.signal != 0 {
			fail(fmt.Sprintf("exit %d (%v) from Landlock", c.landlock, c.landlock))
		}
	case c.promise == "stdio" && r.kind != "raw":
		// The runtime or ld.so needs stdio before main: the first call it
		// makes is denied (SIGSYS under -k, a crash of its own otherwise).
		if reached || (r.kill && res.signal != syscall.SIGSYS) || (!r.kill && !strings.Contains(res.stderr, "pledge promise 'stdio' to allow")) {
			fail("death before main, reported as stdio, SIGSYS under -k")
		}
	case r.kill:
		if res.signal != syscall.SIGSYS || reached == goRuntimeKilled {
			fail(fmt.Sprintf("SIGSYS at the call (reached %v)", !goRuntimeKilled))
		}
	default:
		if res.code != int(syscall.EPERM) || res.signal != 0 || !reached || !c.reported(res.stderr) {
			fail(fmt.Sprintf("exit 1 (EPERM) at the call, reported as one of %q for %q", c.calls, c.promise))
		}
	}
}

// expand substitutes {probe} (the probe itself) and {tmpfile} (a new file
// under /tmp, removed after the test) in the action.
func (c promiseCase) expand(t *testing.T, probe string) []string {
	out := slices.Clone(c.action)
	for i, a := range out {
		switch a {
		case "{probe}":
			out[i] = probe
		case "{tmpfile}":
			f, err := os.CreateTemp("/tmp", "pledge-tmppath-")
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			t.Cleanup(func() { os.Remove(f.Name()) })
			out[i] = f.Name()
		}
	}
	return out
}

// reported tells whether stderr has the violation line of one of the
// case's calls for its promise, in the reference's exact format.
func (c promiseCase) reported(stderr string) bool {
	for _, name := range c.calls {
		if strings.Contains(stderr, violationLine(name, c.promise)+"\n") {
			return true
		}
	}
	return false
}

// violationLine is the line pledge prints for call name (which
// TestPromiseCases checks x86_64 has) denied, naming promise p.
func violationLine(name, p string) string {
	nr, _ := promises.SyscallNumber(promises.AMD64, name)
	return fmt.Sprintf("error: protected syscall %s (ord=%03x); pledge promise '%s' to allow", name, nr, p)
}

// TestViolationReport: a denied call is reported once per system call, one
// line per promise that mentions it, however often it is made; -q reports
// nothing and the call still fails with EPERM.
func TestViolationReport(t *testing.T) {
	var want []string
	for _, p := range []string{"inet", "unix", "dns", "anet"} {
		want = append(want, violationLine("socket", p))
	}
	for kind, probe := range probes(t) {
		for _, quiet := range []bool{false, true} {
			args := []string{"-p", "stdio", probe, "repeat", "3", "tcp"}
			if quiet {
				args = append([]string{"-q"}, args...)
			}
			r := runPledge(t, "", args...)
			var lines []string
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.Contains(l, " socket ") {
					lines = append(lines, l)
				}
			}
			wantLines := want
			if quiet {
				wantLines = nil
			}
			if r.code != int(syscall.EPERM) || strings.Count(r.stderr, reachedMark) != 3 || !slices.Equal(lines, wantLines) {
				t.Errorf("%s: pledge %q: exit %d, socket lines %q (stderr %.500q); want EPERM after 3 calls and lines %q",
					kind, args, r.code, lines, r.stderr, wantLines)
			}
			if quiet && strings.Contains(r.stderr, "error: ") {
				t.Errorf("%s: pledge %q reported %q", kind, args, r.stderr)
			}
		}
	}
}

// TestInt80: an i386 system call through int $0x80 kills the program with
// SIGSYS whatever the promises and penalty: its numbers mean other calls.
func TestInt80(t *testing.T) {
	all := promises.All().String()
	for kind, probe := range probes(t) {
		for _, penalty := range [][]string{nil, {"-k"}} {
			args := append(slices.Clone(penalty), "-p", all, "-v", "rwxc:"+filepath.Dir(probe), probe, "int80")
			r := runPledgeEnv(t, "", nil, args...)
			if r.signal != syscall.SIGSYS || !strings.Contains(r.stderr, reachedMark) {
				t.Errorf("%s: pledge %q: exit %d signal %v, stderr %q; want SIGSYS at int $0x80", kind, args, r.code, r.signal, r.stderr)
			}
		}
	}
}

// TestPromiseDistinctions checks what separates promises that share calls:
// anet is inet without datagrams (and without connect), and vminfo's one
// call, sched_yield, is stdio's already.
func TestPromiseDistinctions(t *testing.T) {
	for kind, probe := range probes(t) {
		for _, tc := range []struct {
			promises string
			action   string
			want     syscall.Errno
		}{
			{"stdio anet", "udp", syscall.EPERM},
			{"stdio anet", "tcp", 0},
			{"stdio inet", "tcp", 0},
			{"stdio", "yield", 0},
		} {
			r := runPledge(t, "", "-p", tc.promises, probe, tc.action)
			if r.code != int(tc.want) || r.signal != 0 || !strings.Contains(r.stderr, reachedMark) {
				t.Errorf("%s: pledge -p %q probe %s: exit %d signal %v, stderr %.300q; want exit %d (%v) at the call",
					kind, tc.promises, tc.action, r.code, r.signal, r.stderr, tc.want, tc.want)
			}
		}
	}
}

// TestExecDynamicChild: with exec, a dynamic program runs /bin/true (its
// filter allows file-backed executable mappings for the loader). A static
// program's filter does not, so the dynamic child it executes needs
// prot_exec too: without it ld.so cannot map libc and exits 127.
func TestExecDynamicChild(t *testing.T) {
	libs := []string{"-v", "rx:/bin/true", "-v", "rx:/lib", "-v", "rx:/lib64", "-v", "rx:/usr/lib", "-v", "r:/etc"}
	for _, tc := range []struct {
		probe, promises string
		want            int
	}{
		{dynProbe, "stdio rpath exec", 0},
		{staticProbe, "stdio rpath exec", 127},
		{staticProbe, "stdio rpath exec prot_exec", 0},
	} {
		if tc.probe == "" {
			continue
		}
		args := append(append([]string{"-p", tc.promises}, libs...), tc.probe, "exec", "/bin/true", "true")
		if r := runPledge(t, "", args...); r.code != tc.want || r.signal != 0 {
			t.Errorf("pledge %q: exit %d signal %v, stderr %.400q; want exit %d", args, r.code, r.signal, r.stderr, tc.want)
		}
	}
}
