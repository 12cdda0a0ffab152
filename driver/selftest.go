package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nsexec"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

// probeTimeout bounds each selftest probe.
const probeTimeout = 20 * time.Second

// Selftest prints what this machine offers the driver and runs a battery of
// real sandboxed probes through the shim, the task helper's when taskHelper
// (see [Main]) is set, as tasks run. It returns 0 only if everything the
// driver relies on works.
func Selftest(w io.Writer, version string, taskHelper []byte) int {
	host, cgErr := cgroup.Detect()
	f := probeFeatures(host)
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(w, "FAIL  cannot find this binary: %v\n", err)
		return 1
	}
	shim, helperState := self, "not embedded: tasks re-execute the plugin (`make build` embeds it)"
	if taskHelper != nil {
		file, path, err := TaskHelper(taskHelper)
		if err != nil {
			helperState = fmt.Sprintf("embedded, unusable (%v): tasks re-execute the plugin", err)
		} else {
			defer file.Close()
			shim, helperState = path, "embedded, run from a sealed memfd"
		}
	}
	printFeatures(w, version, f, cgErr, helperState)
	fmt.Fprintln(w)
	dir, err := os.MkdirTemp("", "pledge-selftest-")
	if err != nil {
		fmt.Fprintf(w, "FAIL  cannot create a scratch directory: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	failed := 0
	for _, c := range selfChecks(shim, self, dir, f) {
		err := c.run()
		if err != nil {
			failed++
			fmt.Fprintf(w, "FAIL  %s: %v\n", c.name, err)
			continue
		}
		fmt.Fprintf(w, "ok    %s\n", c.name)
	}
	if failed > 0 {
		fmt.Fprintf(w, "\n%d check(s) failed: the driver cannot run tasks as promised on this machine\n", failed)
		return 1
	}
	fmt.Fprintln(w, "\nall checks passed")
	return 0
}

// printFeatures writes the feature table.
func printFeatures(w io.Writer, version string, f features, cgErr error, helperState string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("driver", version)
	row("kernel", f.Kernel)
	row("seccomp filter", yesNo(f.Seccomp))
	row("seccomp user notification", yesNo(f.SeccompNotify))
	if f.LandlockABI > 0 {
		row("Landlock", fmt.Sprintf("ABI %d", f.LandlockABI))
	} else {
		row("Landlock", "unavailable")
	}
	cg := string(f.Cgroup)
	if cgErr != nil {
		cg += " (" + cgErr.Error() + ")"
	}
	row("cgroup layout", cg)
	var ns []string
	for name, ok := range f.Namespaces {
		if ok {
			ns = append(ns, name)
		}
	}
	sort.Strings(ns)
	row("namespaces", strings.Join(ns, " "))
	row("running as root", yesNo(f.Root))
	row("CAP_NET_BIND_SERVICE", yesNo(f.NetBind))
	row("task helper", helperState)
	tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// selfCheck is one pass/fail line of the selftest.
type selfCheck struct {
	name string
	run  func() error
}

// selfChecks lists the probes. Each runs this binary (self)'s __probe entry
// (or /bin/true) under the shim exactly as a task would be run.
func selfChecks(shim, self, scratch string, f features) []selfCheck {
	checks := []selfCheck{
		{"seccomp filters available", func() error { return require(f.Seccomp, "PR_GET_SECCOMP failed") }},
		{"Landlock available", func() error { return require(f.LandlockABI > 0, "no Landlock ABI (not built or not in lsm=)") }},
		{"seccomp user notification available", func() error {
			return require(f.SeccompNotify, "SECCOMP_RET_USER_NOTIF unknown to this kernel")
		}},
		{"/bin/true runs under 'stdio rpath'", func() error {
			return expectExit(runProbe(shim, probeRun{argv: []string{"/bin/true"}, promises: "stdio rpath"}), 0)
		}},
		{"socket() without 'inet' fails with EPERM", func() error {
			return expectExit(runProbe(shim, probeRun{argv: []string{self, ProbeArg, "socket"}, promises: "stdio"}), int(unix.EPERM))
		}},
		{"a denied syscall is reported by the supervisor", func() error { return checkReport(shim, self) }},
	}
	checks = append(checks,
		selfCheck{"an unveiled file can be read", func() error {
			file := filepath.Join(scratch, "visible")
			if err := os.WriteFile(file, []byte("ok\n"), 0o644); err != nil {
				return err
			}
			return expectExit(runProbe(shim, probeRun{argv: []string{self, ProbeArg, "read", file}, promises: "stdio rpath", unveil: []string{"r:" + scratch}}), 0)
		}},
		selfCheck{"a file that is not unveiled gets EACCES", func() error {
			return expectExit(runProbe(shim, probeRun{argv: []string{self, ProbeArg, "read", "/etc/passwd"}, promises: "stdio rpath"}), int(unix.EACCES))
		}},
	)
	if f.Root {
		checks = append(checks, selfCheck{"the task runs under init, PID 1 of a private pid namespace", func() error { return checkPIDNamespace(shim, self, scratch) }})
	}
	return checks
}

func require(ok bool, why string) error {
	if ok {
		return nil
	}
	return errors.New(why)
}

// probeRun is one sandboxed run of the selftest.
type probeRun struct {
	argv     []string
	promises string
	unveil   []string
	// report receives violations; nil ignores them. A supervisor runs
	// either way, as for every task.
	report func(supervisor.Violation)
}

// probeResult is how a probe ended.
type probeResult struct {
	code   int
	stderr string
	err    error
}

// runProbe runs p.argv under the shim with a policy built like a task's.
func runProbe(shim string, p probeRun) probeResult {
	set, err := promises.Parse(p.promises)
	if err != nil {
		return probeResult{err: err}
	}
	spec := &taskSpec{Promises: set, WorkDir: "/"}
	for _, u := range p.unveil {
		parsed, err := sandbox.ParseUnveil(u)
		if err != nil {
			return probeResult{err: err}
		}
		spec.Unveils = append(spec.Unveils, parsed)
	}
	d := &Driver{log: hclog.NewNullLogger()}
	report := p.report
	if report == nil {
		report = func(supervisor.Violation) {}
	}
	sup, err := d.superviseFor(report)
	if err != nil {
		return probeResult{err: err}
	}
	defer sup.stop()
	sb := sandbox.Spec{Policy: spec.sandboxPolicy(identity{}, false, sup.shimFD()), Argv: p.argv, Env: []string{"PATH=/usr/bin:/bin"}}
	specs, err := newSpecPipe(&sb)
	if err != nil {
		return probeResult{err: err}
	}
	defer specs.close()
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, shim, sandbox.ShimArg)
	cmd.ExtraFiles = sup.extraFiles(specs.r)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Start()
	sup.afterStart()
	if err != nil {
		return probeResult{err: err}
	}
	specs.send()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return probeResult{code: ee.ExitCode(), stderr: stderr.String()}
	}
	return probeResult{err: err, stderr: stderr.String()}
}

// expectExit checks a probe's exit status.
func expectExit(r probeResult, want int) error {
	if r.err != nil {
		return r.err
	}
	if r.code != want {
		msg := fmt.Sprintf("exit status %d, want %d (%s)", r.code, want, errnoName(want))
		if s := strings.TrimSpace(r.stderr); s != "" {
			msg += "; stderr: " + s
		}
		return errors.New(msg)
	}
	return nil
}

func errnoName(n int) string {
	if n == 0 {
		return "success"
	}
	return unix.ErrnoName(unix.Errno(n))
}

// checkReport runs the socket probe with a supervisor and expects exactly
// the socket violation to be reported.
func checkReport(shim, self string) error {
	var mu sync.Mutex
	var got []supervisor.Violation
	r := runProbe(shim, probeRun{
		argv:     []string{self, ProbeArg, "socket"},
		promises: "stdio",
		report: func(v supervisor.Violation) {
			mu.Lock()
			got = append(got, v)
			mu.Unlock()
		},
	})
	if err := expectExit(r, int(unix.EPERM)); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, v := range got {
		if v.Syscall == "socket" {
			return nil
		}
	}
	return fmt.Errorf("no violation for socket reported (got %v)", got)
}

// checkPIDNamespace starts the pid probe through nsexec, as tasks start.
func checkPIDNamespace(shim, self, scratch string) error {
	dir := filepath.Join(scratch, "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	spec := &taskSpec{Promises: promises.Stdio | promises.Rpath, WorkDir: "/"}
	sb := sandbox.Spec{Policy: spec.sandboxPolicy(identity{}, false, -1), Argv: []string{self, ProbeArg, "pid"}}
	specs, err := newSpecPipe(&sb)
	if err != nil {
		return err
	}
	defer specs.close()
	var stderr strings.Builder
	errR, errW, err := os.Pipe()
	if err != nil {
		return err
	}
	out := startCopy([]io.Writer{&stderr}, []*os.File{errR})
	proc, err := nsexec.Start(&nsexec.Config{
		Shim:       nsexec.Shim{Self: shim, Args: []string{sandbox.ShimArg}, Stderr: errW, ExtraFiles: []*os.File{specs.r}},
		StatusPath: filepath.Join(dir, "status"),
	})
	errW.Close()
	if err != nil {
		out.finish(0)
		return err
	}
	defer proc.Close()
	specs.send()
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	st, err := proc.Wait(ctx)
	if err != nil {
		proc.Kill()
	}
	out.finish(0)
	if err != nil {
		return err
	}
	if st.Code != 0 {
		return fmt.Errorf("probe ended with %v, want exit code 0 (parent is PID 1); stderr: %s", st, strings.TrimSpace(stderr.String()))
	}
	return nil
}
