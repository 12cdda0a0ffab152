package driver_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/plugintest"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// The exec conformance suite follows the cases of Nomad's own
// ExecTaskStreaming conformance tests. The commands run /bin/sh because the
// cases are shell snippets; that shell is the command the user asked for,
// exec'd directly by the driver, which never starts a shell itself.

// execTaskConfig lets a shell and its utilities run inside the task's
// sandbox, and write in the task directory.
const execTaskConfig = `
command  = "/bin/sleep"
args     = ["3600"]
promises = "stdio rpath wpath cpath proc exec tty"
unveil   = ["rx:/usr", "rx:/bin", "rx:/lib", "rx:/lib64", "r:/etc", "r:/proc", "rwc:${NOMAD_TASK_DIR}"]`

// execTask starts a long-running task to exec into.
func execTask(t *testing.T, p *plugintest.Plugin) *plugintest.Task {
	t.Helper()
	task := start(t, p, plugintest.TaskOptions{Config: execTaskConfig})
	t.Cleanup(func() { task.Stop(time.Second, "SIGKILL") })
	waitForProgram(t, task, "sleep")
	return task
}

func TestExecConformance(t *testing.T) {
	p, _ := launch(t, "")
	task := execTask(t, p)
	sizes := []*driverpb.ExecTaskStreamingRequest_TerminalSize{{Height: 40, Width: 50}, {Height: 100, Width: 100}}
	tests := []struct {
		name   string
		req    plugintest.ExecRequest
		stdout string
		stderr string
		code   int32
		// within bounds the session's duration when nonzero.
		within time.Duration
	}{
		{
			name:   "notty/basic",
			req:    plugintest.ExecRequest{Command: sh("echo hello stdout; echo hello stderr >&2; exit 43")},
			stdout: "hello stdout\n", stderr: "hello stderr\n", code: 43,
		},
		{
			name:   "notty/stty without a terminal",
			req:    plugintest.ExecRequest{Command: []string{"stty", "size"}},
			stderr: "stty: 'standard input': Inappropriate ioctl for device\n", code: 1,
		},
		{
			name:   "notty/stdin passing",
			req:    plugintest.ExecRequest{Command: sh("cat; echo stdin closed"), Stdin: strings.NewReader("hello from stdin\n")},
			stdout: "hello from stdin\nstdin closed\n",
		},
		{
			name:   "notty/only the lead process is waited for",
			req:    plugintest.ExecRequest{Command: sh("(sleep 2; echo from background) & echo from main; exec sleep 1")},
			stdout: "from main\n",
		},
		{
			name:   "tty/basic",
			req:    plugintest.ExecRequest{Command: sh("echo hello stdout; echo hello stderr >&2; exit 43"), Tty: true},
			stdout: "hello stdout\r\nhello stderr\r\n", code: 43,
		},
		{
			name:   "tty/resize",
			req:    plugintest.ExecRequest{Command: sh("sleep 1; stty size"), Tty: true, Sizes: sizes},
			stdout: "100 100\r\n",
		},
		{
			name: "tty/stdin passing",
			req: plugintest.ExecRequest{Command: sh("cat; echo stdin closed"), Tty: true,
				Stdin: strings.NewReader("hello from stdin\n")},
			// The terminal echoes the input, cat prints it, and the
			// close (^D, not echoed) ends cat.
			stdout: "hello from stdin\r\nhello from stdin\r\nstdin closed\r\n",
		},
		{
			name:   "tty/only the lead process is waited for",
			req:    plugintest.ExecRequest{Command: sh("(sleep 2; echo from background) & echo from main; exec sleep 1"), Tty: true},
			stdout: "from main\r\n",
		},
		{
			// A child immune to the hangup keeps the terminal open;
			// the session still ends soon after the command.
			name:   "tty/a lingering child does not hold the session",
			req:    plugintest.ExecRequest{Command: sh("trap '' HUP; sleep 20 & echo from main"), Tty: true},
			stdout: "from main\r\n", within: 10 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			begin := time.Now()
			s, err := task.ExecStreaming(ctx, tt.req)
			if took := time.Since(begin); tt.within > 0 && took > tt.within {
				t.Errorf("the session took %v, want at most %v", took, tt.within)
			}
			if err != nil {
				t.Fatalf("%v (session %+v)", err, s)
			}
			if string(s.Stdout) != tt.stdout || string(s.Stderr) != tt.stderr {
				t.Errorf("stdout %q stderr %q\nwant   %q stderr %q", s.Stdout, s.Stderr, tt.stdout, tt.stderr)
			}
			if s.Result.GetExitCode() != tt.code || s.Result.GetSignal() != 0 {
				t.Errorf("result %+v, want exit code %d", s.Result, tt.code)
			}
		})
	}
}

// TestExecTaskWaitsForLeadOnly: a script check's background child keeps
// the output pipes open; ExecTask still returns when the command exits, with
// what the command wrote.
func TestExecTaskWaitsForLeadOnly(t *testing.T) {
	p, _ := launch(t, "")
	task := execTask(t, p)
	begin := time.Now()
	out, err := task.Exec(sh("sleep 20 & echo checked; echo warned >&2; exit 3"), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(out.GetStdout()) != "checked\n" || string(out.GetStderr()) != "warned\n" || out.GetResult().GetExitCode() != 3 {
		t.Errorf("stdout %q stderr %q result %+v", out.GetStdout(), out.GetStderr(), out.GetResult())
	}
	if took := time.Since(begin); took > 10*time.Second {
		t.Errorf("ExecTask took %v: it waited for the background child", took)
	}
}

// TestExecStreamsOverTime requires output to reach the user while the
// command runs, not once it has ended.
func TestExecStreamsOverTime(t *testing.T) {
	p, _ := launch(t, "")
	task := execTask(t, p)
	conn, err := p.Conn()
	if err != nil {
		t.Fatal(err)
	}
	var out timedWriter
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := nomadplugin.NewClient(conn).ExecTaskStreaming(ctx, task.ID(), nomadplugin.ExecOptions{
		Command: sh("for n in 1 2 3; do echo $n; sleep 0.5; done"),
		Stdout:  &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || out.String() != "1\n2\n3\n" {
		t.Fatalf("exit %+v, stdout %q", res, out.String())
	}
	if first, last := out.span(); last.Sub(first) < 800*time.Millisecond {
		t.Errorf("output arrived within %v, want it spread over the command's second", last.Sub(first))
	}
}

// TestExecSharesTaskState checks that exec sessions run in the task itself:
// a file one session creates in the task directory is readable by the next,
// and the exec'd process is in the task's cgroup.
func TestExecSharesTaskState(t *testing.T) {
	p, _ := launch(t, "")
	execSharesTaskState(t, p)
}

// TestVMExecSharesTaskState repeats it in the VM (v2), where the task has a
// cgroup of its own that the exec'd process must join.
func TestVMExecSharesTaskState(t *testing.T) {
	p, _ := vmLaunch(t)
	execSharesTaskState(t, p)
}

func execSharesTaskState(t *testing.T, p *plugintest.Plugin) {
	task := execTask(t, p)
	file := task.TaskDir() + "/local/from-exec"
	out, err := task.Exec(sh("echo written by exec > "+file), 20*time.Second)
	if err != nil || out.GetResult().GetExitCode() != 0 {
		t.Fatalf("write: %v %+v stderr %q", err, out.GetResult(), out.GetStderr())
	}
	out, err = task.Exec([]string{"/bin/cat", file}, 20*time.Second)
	if err != nil || string(out.GetStdout()) != "written by exec\n" {
		t.Fatalf("read back: %v stdout %q stderr %q", err, out.GetStdout(), out.GetStderr())
	}
	out, err = task.Exec([]string{"/bin/cat", "/proc/self/cgroup"}, 20*time.Second)
	if err != nil || out.GetResult().GetExitCode() != 0 {
		t.Fatalf("cat /proc/self/cgroup: %v %+v stderr %q", err, out.GetResult(), out.GetStderr())
	}
	want, err := os.ReadFile("/proc/" + strconv.Itoa(waitForProgram(t, task, "sleep")) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	if string(out.GetStdout()) != string(want) {
		t.Errorf("exec'd process cgroups:\n%s\nthe task's:\n%s", out.GetStdout(), want)
	}
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

// timedWriter records output and when each piece arrived.
type timedWriter struct {
	mu   sync.Mutex
	buf  strings.Builder
	when []time.Time
}

func (w *timedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.when = append(w.when, time.Now())
	return w.buf.Write(b)
}

func (w *timedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// span is when the first and last pieces arrived.
func (w *timedWriter) span() (first, last time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.when) == 0 {
		return time.Time{}, time.Time{}
	}
	return w.when[0], w.when[len(w.when)-1]
}
