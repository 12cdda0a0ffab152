package plugintest

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBuilds()
	os.Exit(code)
}

// launchTestPlugin launches the in-repo test plugin with a journal of the
// RPCs each of its processes received.
func launchTestPlugin(t *testing.T, opts Options) (*Plugin, *journal) {
	t.Helper()
	bin := Build(t, "./internal/testplugin", "testplugin")
	j := &journal{path: filepath.Join(t.TempDir(), "journal")}
	opts.Env = append(opts.Env, "TESTPLUGIN_JOURNAL="+j.path)
	return MustLaunch(t, bin, opts), j
}

// journal reads the test plugin's per-process RPC journal.
type journal struct{ path string }

// byProcess returns the journal lines grouped by pid, in launch order.
func (j *journal) byProcess(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(j.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	index := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pid, line, _ := strings.Cut(sc.Text(), " ")
		i, ok := index[pid]
		if !ok {
			i = len(out)
			index[pid] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], line)
	}
	return out
}

// find returns the first journal line starting with prefix.
func (j *journal) find(t *testing.T, prefix string) string {
	t.Helper()
	for _, proc := range j.byProcess(t) {
		for _, line := range proc {
			if strings.HasPrefix(line, prefix) {
				return line
			}
		}
	}
	t.Fatalf("no journal line starts with %q", prefix)
	return ""
}

func TestLaunchSequence(t *testing.T) {
	p, j := launchTestPlugin(t, Options{Config: `health_message = "configured"`})
	got := j.byProcess(t)
	want := [][]string{
		{"PluginInfo", "ConfigSchema"},
		{"SetConfig nomad_config=false api=v0.1.0 min_port=0", "SetConfig nomad_config=false api=v0.1.0 min_port=0"},
		{"SetConfig nomad_config=true api=v0.1.0 min_port=14000", "Init"},
	}
	if len(got) != 3 {
		t.Fatalf("journal has %d processes, want 3 launches: %q", len(got), got)
	}
	for i := range want {
		if strings.Join(got[i][:len(want[i])], "|") != strings.Join(want[i], "|") {
			t.Errorf("launch %d: got %q, want it to start with %q", i, got[i], want[i])
		}
	}
	streams := strings.Join(got[2][2:], " ")
	if !strings.Contains(streams, "Fingerprint") || !strings.Contains(streams, "TaskEvents") {
		t.Errorf("runtime launch opened %q, want Fingerprint and TaskEvents", got[2][2:])
	}
	fp := p.Fingerprints.All()[0]
	if fp.GetHealth() != driverpb.FingerprintResponse_HEALTHY || fp.GetHealthDescription() != "configured" {
		t.Errorf("fingerprint %v, want HEALTHY \"configured\" (the agent config must arrive)", fp)
	}
	if !p.Events.Open() || !p.Fingerprints.Open() {
		t.Error("the Fingerprint and TaskEvents streams must stay open")
	}
	if !strings.Contains(p.Log(), `"@message"`) {
		t.Errorf("plugin stderr not captured as hclog JSON: %q", p.Log())
	}
}

func TestLaunchRejectsWhatTheAgentRejects(t *testing.T) {
	bin := Build(t, "./internal/testplugin", "testplugin")
	_, err := Launch(t, bin, Options{Env: []string{"TESTPLUGIN_TYPE=DEVICE"}})
	if err == nil || !strings.Contains(err.Error(), "DRIVER") {
		t.Fatalf("Launch of a DEVICE plugin: %v, want an error naming DRIVER", err)
	}
	_, err = Launch(t, bin, Options{Config: `no_such_field = 1`})
	if err == nil || !strings.Contains(err.Error(), "no_such_field") {
		t.Fatalf("Launch with a bad agent config: %v, want an error naming the field", err)
	}
}

func TestStartErrorIsRecoverableExactlyAsSent(t *testing.T) {
	p, _ := launchTestPlugin(t, Options{})
	for _, recoverable := range []bool{true, false} {
		task := p.NewTask(TaskOptions{Config: `start_error = "no luck"
recoverable = ` + map[bool]string{true: "true", false: "false"}[recoverable]})
		err := task.Start()
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Start: %v, want *Error", err)
		}
		if e.Code != codes.FailedPrecondition || e.Message != "no luck" || !e.HasRecoverable || e.Recoverable != recoverable || e.AgentRecoverable() != recoverable {
			t.Errorf("recoverable=%t: got %+v", recoverable, e)
		}
	}
}

func TestTaskOutputExitAndDestroy(t *testing.T) {
	p, _ := launchTestPlugin(t, Options{})
	task := p.NewTask(TaskOptions{Config: `
stdout    = "dir=${NOMAD_TASK_DIR} meta=${NOMAD_META_color}\n"
stderr    = "to stderr\n"
exit_code = 3
`, Meta: map[string]string{"color": "blue"}})
	if err := task.Start(); err != nil {
		t.Fatal(err)
	}
	res, err := task.Wait(10 * time.Second)
	if err != nil || res.GetExitCode() != 3 {
		t.Fatalf("Wait: %v %v, want exit code 3", res, err)
	}
	if err := task.Stdout.Wait("dir="+filepath.Join(task.TaskDir(), "local")+" meta=blue\n", 5*time.Second); err != nil {
		t.Error(err)
	}
	if err := task.Stderr.Wait("to stderr\n", 5*time.Second); err != nil {
		t.Error(err)
	}
	if res, err := task.Wait(time.Second); err != nil || res.GetExitCode() != 3 {
		t.Errorf("second Wait after exit: %v %v, want exit code 3 at once", res, err)
	}
	st, err := task.Inspect()
	if err != nil || st.GetTask().GetState() != driverpb.TaskState_EXITED || st.GetTask().GetCompletedAt() == nil {
		t.Errorf("Inspect after exit: %v %v", st, err)
	}
	for i := range 2 {
		if err := task.Destroy(true); err != nil {
			t.Errorf("Destroy #%d: %v", i+1, err)
		}
	}
}

func TestKilledPluginIsRelaunchedAndRecovers(t *testing.T) {
	p, j := launchTestPlugin(t, Options{})
	task := p.NewTask(TaskOptions{Config: `
stdout  = "up\n"
run_for = "60s"
`})
	if err := task.Start(); err != nil {
		t.Fatal(err)
	}
	// Signals before the task installed its handlers would kill it outright.
	if err := task.Stdout.Wait("up\n", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	oldPID := p.PID()
	if err := p.KillAndRecover(task); err != nil {
		t.Fatal(err)
	}
	if p.PID() == oldPID || p.PID() == 0 {
		t.Fatalf("plugin pid %d after relaunch, was %d", p.PID(), oldPID)
	}
	line := j.find(t, "RecoverTask ")
	if want := "config_bytes=0 driver_state=" + string(task.Handle.GetDriverState()); !strings.HasSuffix(line, want) {
		t.Errorf("RecoverTask received %q, want it to end with %q", line, want)
	}
	st, err := task.Inspect()
	if err != nil || st.GetDriver().GetAttributes()["recovered"] != "true" || st.GetTask().GetState() != driverpb.TaskState_RUNNING {
		t.Fatalf("Inspect after recovery: %v %v", st, err)
	}
	if err := task.Stop(5*time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	res, err := task.Wait(10 * time.Second)
	if err != nil || res.GetSignal() != 15 {
		t.Errorf("Wait after Stop: %v %v, want signal 15", res, err)
	}
}

func TestSignalAndExec(t *testing.T) {
	p, _ := launchTestPlugin(t, Options{})
	task := p.NewTask(TaskOptions{Config: `
stdout  = "ready\n"
run_for = "60s"
`})
	if err := task.Start(); err != nil {
		t.Fatal(err)
	}
	if err := task.Stdout.Wait("ready\n", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := task.Signal("SIGUSR1"); err != nil {
		t.Fatal(err)
	}
	if err := task.Stdout.Wait("got SIGUSR1\n", 5*time.Second); err != nil {
		t.Error(err)
	}
	resp, err := task.Exec([]string{"/bin/echo", "hi"}, 5*time.Second)
	if err != nil || string(resp.GetStdout()) != "hi\n" || resp.GetResult().GetExitCode() != 0 {
		t.Errorf("Exec: %v %v", resp, err)
	}
}

func TestExecStreaming(t *testing.T) {
	p, _ := launchTestPlugin(t, Options{})
	task := p.NewTask(TaskOptions{Config: `run_for = "60s"`})
	if err := task.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := task.ExecStreaming(ctx, ExecRequest{
		Command: []string{"/bin/cat", "-", "/nonexistent"},
		Stdin:   strings.NewReader("hello-stdin\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Stdout) != "hello-stdin\n" || !strings.Contains(string(s.Stderr), "/nonexistent") ||
		!s.StdoutClosed || !s.StderrClosed || s.Result.GetExitCode() != 1 {
		t.Errorf("session %+v (stdout %q, stderr %q), want echoed stdin, an error on stderr, both closed, exit 1", s, s.Stdout, s.Stderr)
	}

	_, err = task.ExecStreaming(ctx, ExecRequest{Command: []string{"/bin/true"}, Tty: true})
	var e *Error
	if !errors.As(err, &e) || e.Code != codes.InvalidArgument {
		t.Errorf("tty session on a driver without tty support: %v, want InvalidArgument *Error", err)
	}
}

func TestStatsAndEventsStreams(t *testing.T) {
	p, _ := launchTestPlugin(t, Options{})
	task := p.NewTask(TaskOptions{Config: `run_for = "60s"`})
	if err := task.Start(); err != nil {
		t.Fatal(err)
	}
	stats, err := task.Stats(50 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close()
	for i := range 2 {
		s, err := stats.Wait(i, 5*time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.GetId() != task.ID() || s.GetTimestamp() == nil || s.GetAggResourceUsage().GetMemory().GetRss() == 0 {
			t.Errorf("stats #%d: %v, want id, timestamp and RSS", i, s)
		}
	}
	ev, err := p.Events.Wait(0, 5*time.Second, func(ev *driverpb.DriverTaskEvent) bool { return ev.GetTaskId() == task.ID() })
	if err != nil {
		t.Fatal(err)
	}
	if ev.GetAllocId() != task.Config.GetAllocId() || ev.GetTaskName() != "task" || !strings.HasPrefix(ev.GetMessage(), "started") {
		t.Errorf("event %v", ev)
	}
}
