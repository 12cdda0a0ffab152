package nomadplugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/hclspec"
	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
	pb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// fakeDriver records calls and answers with canned values.
type fakeDriver struct {
	startErr   error
	setConfig  chan *AgentConfig
	stats      TaskStats
	status     TaskStatus
	exit       ExitResult
	execOutput string
	execStdin  chan string
	execSizes  chan TerminalSize
	fpCanceled chan struct{}
}

func (f *fakeDriver) PluginInfo() PluginInfo { return PluginInfo{Name: "fake", Version: "0.1.0"} }
func (f *fakeDriver) ConfigSchema() hclspec.Object {
	return hclspec.Object{"enabled": hclspec.Attr{Type: "bool", Default: "true"}}
}
func (f *fakeDriver) SetConfig(raw []byte, agent *AgentConfig) error {
	var cfg struct {
		Enabled bool `cty:"enabled"`
	}
	if err := f.ConfigSchema().Decode(raw, &cfg); err != nil {
		return err
	}
	f.setConfig <- agent
	return nil
}
func (f *fakeDriver) TaskConfigSchema() hclspec.Object {
	return hclspec.Object{"command": hclspec.Attr{}}
}
func (f *fakeDriver) Capabilities() Capabilities {
	return Capabilities{Exec: true, FSIsolation: FSIsolationUnveil, DynamicWorkloadUsers: true}
}
func (f *fakeDriver) Fingerprint(ctx context.Context) <-chan Fingerprint {
	ch := make(chan Fingerprint, 1)
	ch <- Fingerprint{Health: HealthHealthy, HealthDescription: "Healthy",
		Attributes: map[string]Attribute{"driver.fake.version": NewStringAttribute("1"), "driver.fake.mem": NewIntAttribute(4, "MiB")}}
	go func() {
		<-ctx.Done()
		close(f.fpCanceled)
	}()
	return ch
}
func (f *fakeDriver) StartTask(cfg *TaskConfig) (*TaskHandle, *NetworkOverride, error) {
	if f.startErr != nil {
		return nil, nil, f.startErr
	}
	return &TaskHandle{Version: 1, Config: cfg, State: TaskStateRunning, DriverState: []byte("pid=1")},
		&NetworkOverride{PortMap: map[string]int{"http": 8080}}, nil
}
func (f *fakeDriver) RecoverTask(h *TaskHandle) error {
	if string(h.DriverState) != "pid=1" {
		return fmt.Errorf("driver state %q", h.DriverState)
	}
	return nil
}
func (f *fakeDriver) WaitTask(_ context.Context, id string) (<-chan ExitResult, error) {
	if id != "t1" {
		return nil, ErrTaskNotFound
	}
	ch := make(chan ExitResult, 1)
	ch <- f.exit
	return ch, nil
}
func (f *fakeDriver) StopTask(string, time.Duration, string) error { return nil }
func (f *fakeDriver) DestroyTask(string, bool) error               { return nil }
func (f *fakeDriver) InspectTask(string) (*TaskStatus, error)      { return &f.status, nil }
func (f *fakeDriver) TaskStats(_ context.Context, _ string, interval time.Duration) (<-chan TaskStats, error) {
	if interval != time.Second {
		return nil, fmt.Errorf("interval %v", interval)
	}
	ch := make(chan TaskStats, 1)
	ch <- f.stats
	close(ch)
	return ch, nil
}
func (f *fakeDriver) TaskEvents(context.Context) (<-chan TaskEvent, error) {
	ch := make(chan TaskEvent, 1)
	ch <- TaskEvent{TaskID: "t1", Message: "hello"}
	close(ch)
	return ch, nil
}
func (f *fakeDriver) SignalTask(string, string) error { return errors.New("no such signal") }
func (f *fakeDriver) ExecTask(_ string, cmd []string, _ time.Duration) (*ExecResult, error) {
	return &ExecResult{Stdout: []byte(strings.Join(cmd, " ")), Exit: ExitResult{ExitCode: 2}}, nil
}
func (f *fakeDriver) ExecTaskStreaming(_ context.Context, _ string, opts ExecOptions) (*ExitResult, error) {
	in, err := io.ReadAll(opts.Stdin)
	if err != nil {
		return nil, err
	}
	f.execStdin <- string(in)
	if opts.Tty {
		f.execSizes <- <-opts.Resize
	}
	fmt.Fprint(opts.Stdout, f.execOutput)
	fmt.Fprint(opts.Stderr, "err")
	return &ExitResult{ExitCode: 3}, nil
}
func (f *fakeDriver) Init() error                    { return nil }
func (f *fakeDriver) Shutdown(context.Context) error { return nil }

// serve runs the plugin's services for d on an in-memory connection.
func serve(t *testing.T, d Driver) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	basepb.RegisterBasePluginServer(srv, &baseServer{d: d})
	pb.RegisterDriverServer(srv, newDriverServer(d, hclog.NewNullLogger()))
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func newFake() *fakeDriver {
	return &fakeDriver{
		setConfig:  make(chan *AgentConfig, 2),
		execStdin:  make(chan string, 1),
		execSizes:  make(chan TerminalSize, 1),
		fpCanceled: make(chan struct{}),
	}
}

// The full method names are the agent's contract.
func TestServiceNames(t *testing.T) {
	if got := basepb.BasePlugin_ServiceDesc.ServiceName; got != "hashicorp.nomad.plugins.base.proto.BasePlugin" {
		t.Errorf("base service %q", got)
	}
	if got := pb.Driver_ServiceDesc.ServiceName; got != "hashicorp.nomad.plugins.drivers.proto.Driver" {
		t.Errorf("driver service %q", got)
	}
	var methods []string
	for _, m := range pb.Driver_ServiceDesc.Methods {
		methods = append(methods, m.MethodName)
	}
	for _, s := range pb.Driver_ServiceDesc.Streams {
		methods = append(methods, s.StreamName)
	}
	want := "Init TaskConfigSchema Capabilities RecoverTask StartTask WaitTask StopTask DestroyTask InspectTask Shutdown SignalTask ExecTask CreateNetwork DestroyNetwork Fingerprint TaskStats TaskEvents ExecTaskStreaming"
	if got := strings.Join(methods, " "); got != want {
		t.Errorf("driver methods\n%s\nwant\n%s", got, want)
	}
}

func TestStartTaskErrors(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		recoverable bool
	}{
		{"recoverable", NewRecoverableError(errors.New("busy"), true), true},
		{"not recoverable", NewRecoverableError(errors.New("bad config"), false), false},
		{"wrapped recoverable", fmt.Errorf("start: %w", NewRecoverableError(errors.New("busy"), true)), true},
		{"plain", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.startErr = tt.err
			conn := serve(t, f)
			_, err := pb.NewDriverClient(conn).StartTask(t.Context(), &pb.StartTaskRequest{Task: &pb.TaskConfig{Id: "t1"}})
			st := status.Convert(err)
			if st.Code() != codes.FailedPrecondition || st.Message() != tt.err.Error() {
				t.Fatalf("status %v %q, want FailedPrecondition %q", st.Code(), st.Message(), tt.err)
			}
			details := st.Proto().GetDetails()
			if len(details) != 1 || details[0].GetTypeUrl() != "type.googleapis.com/hashicorp.nomad.plugins.shared.structs.RecoverableError" {
				t.Fatalf("details %v", details)
			}
			want := []byte{}
			if tt.recoverable {
				want = []byte{0x08, 0x01}
			}
			if !bytes.Equal(details[0].GetValue(), want) {
				t.Fatalf("detail value %x, want %x", details[0].GetValue(), want)
			}
			_, _, cerr := NewClient(conn).StartTask(t.Context(), &TaskConfig{ID: "t1"})
			var re *RecoverableError
			if !errors.As(cerr, &re) || re.Recoverable != tt.recoverable || re.Error() != tt.err.Error() {
				t.Fatalf("client error %#v", cerr)
			}
		})
	}
}

func TestErrorCodes(t *testing.T) {
	conn := serve(t, newFake())
	c := NewClient(conn)
	_, raw := pb.NewDriverClient(conn).WaitTask(t.Context(), &pb.WaitTaskRequest{TaskId: "nope"})
	if status.Code(raw) != codes.NotFound {
		t.Fatalf("unknown task: %v, want NotFound", raw)
	}
	if _, err := c.WaitTask(t.Context(), "nope"); !errors.Is(err, ErrTaskNotFound) {
		t.Fatalf("client error %v does not match ErrTaskNotFound", err)
	}
	if err := c.SignalTask(t.Context(), "t1", "SIGFOO"); err == nil || status.Convert(err).Message() != "no such signal" {
		t.Fatalf("signal error %v", err)
	}
	_, _, err := c.CreateNetwork(t.Context(), "alloc", "host")
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("CreateNetwork without NetworkCreator: %v", err)
	}
}

func TestLifecycleThroughClient(t *testing.T) {
	f := newFake()
	f.exit = ExitResult{ExitCode: 1, Signal: 9, OOMKilled: true, Err: errors.New("lost")}
	c := NewClient(serve(t, f))
	ctx := t.Context()

	info, versions, err := c.PluginInfo(ctx)
	if err != nil || info != (PluginInfo{"fake", "0.1.0"}) || strings.Join(versions, ",") != "v0.1.0" {
		t.Fatalf("PluginInfo %+v %v %v", info, versions, err)
	}
	spec, err := c.ConfigSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hclspec.EncodeHCLSpec(spec, "enabled = false", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetConfig(ctx, raw, nil); err != nil || <-f.setConfig != nil {
		t.Fatalf("validation SetConfig: %v", err)
	}
	agent := &AgentConfig{APIVersion: "v0.1.0", ClientMinPort: 14000, ClientMaxPort: 14512, Topology: &Topology{
		NodeIDs: []uint32{0}, Dimension: 1, Distances: []uint32{10}, Cores: []Core{{CoreID: 1, Efficiency: true, BaseSpeed: 2000}}}}
	if err := c.SetConfig(ctx, raw, agent); err != nil {
		t.Fatal(err)
	}
	if got := <-f.setConfig; fmt.Sprint(*got.Topology) != fmt.Sprint(*agent.Topology) || got.ClientMaxPort != 14512 {
		t.Fatalf("agent config %+v", got)
	}
	if err := c.SetConfig(ctx, []byte{0x01}, nil); err == nil {
		t.Fatal("SetConfig accepted garbage")
	}
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	caps, err := c.Capabilities(ctx)
	if err != nil || caps.FSIsolation != FSIsolationUnveil || !caps.DynamicWorkloadUsers || !caps.Exec {
		t.Fatalf("capabilities %+v %v", caps, err)
	}

	h, net, err := c.StartTask(ctx, &TaskConfig{ID: "t1", Name: "web", Env: map[string]string{"A": "b"}})
	if err != nil || h.Config.Name != "web" || h.State != TaskStateRunning || net.PortMap["http"] != 8080 {
		t.Fatalf("StartTask %+v %+v %v", h, net, err)
	}
	h.Config.DriverConfig = nil
	if err := c.RecoverTask(ctx, h); err != nil {
		t.Fatal(err)
	}
	res, err := c.WaitTask(ctx, "t1")
	if err != nil || res.ExitCode != 1 || res.Signal != 9 || !res.OOMKilled || res.Err == nil || res.Err.Error() != "lost" {
		t.Fatalf("WaitTask %+v %v", res, err)
	}
	out, err := c.ExecTask(ctx, "t1", []string{"echo", "hi"}, time.Second)
	if err != nil || string(out.Stdout) != "echo hi" || out.Exit.ExitCode != 2 {
		t.Fatalf("ExecTask %+v %v", out, err)
	}
	if err := c.StopTask(ctx, "t1", time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if err := c.DestroyTask(ctx, "t1", true); err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// Both TaskStatus timestamps are always present; "never" is Go's zero time.
func TestInspectTaskTimestamps(t *testing.T) {
	f := newFake()
	started := time.Unix(1700000000, 5).UTC()
	f.status = TaskStatus{ID: "t1", State: TaskStateRunning, StartedAt: started}
	conn := serve(t, f)
	resp, err := pb.NewDriverClient(conn).InspectTask(t.Context(), &pb.InspectTaskRequest{TaskId: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	task := resp.GetTask()
	if task.GetCompletedAt() == nil || task.GetCompletedAt().GetSeconds() != -62135596800 || task.GetCompletedAt().GetNanos() != 0 {
		t.Fatalf("completed_at %v, want seconds -62135596800", task.GetCompletedAt())
	}
	if task.GetStartedAt().GetSeconds() != 1700000000 || task.GetStartedAt().GetNanos() != 5 {
		t.Fatalf("started_at %v", task.GetStartedAt())
	}
	st, err := NewClient(conn).InspectTask(t.Context(), "t1")
	if err != nil || !st.StartedAt.Equal(started) || !st.CompletedAt.IsZero() || st.ExitResult != nil {
		t.Fatalf("client status %+v %v", st, err)
	}
}

// Stats samples always carry a timestamp; pids are decimal keys.
func TestTaskStatsTimestamp(t *testing.T) {
	f := newFake()
	f.stats = TaskStats{ID: "t1", Usage: ResourceUsage{CPU: CPUUsage{Percent: 12.5, Measured: CPUPercent | CPUTotalTicks}},
		ByPID: map[int]ResourceUsage{4242: {Memory: MemoryUsage{RSS: 4096, Measured: MemoryRSS | MemorySwap}}}}
	conn := serve(t, f)
	stream, err := pb.NewDriverClient(conn).TaskStats(t.Context(), &pb.TaskStatsRequest{TaskId: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	st := msg.GetStats()
	if st.GetTimestamp() == nil || st.GetTimestamp().GetSeconds() < time.Now().Add(-time.Hour).Unix() {
		t.Fatalf("timestamp %v, want now", st.GetTimestamp())
	}
	fields := fmt.Sprint(st.GetAggResourceUsage().GetCpu().GetMeasuredFields())
	if fields != "[TOTAL_TICKS PERCENT]" {
		t.Fatalf("measured fields %s", fields)
	}
	mem := st.GetResourceUsageByPid()["4242"].GetMemory()
	if mem.GetRss() != 4096 || fmt.Sprint(mem.GetMeasuredFields()) != "[RSS SWAP]" {
		t.Fatalf("per-pid memory %v", mem)
	}
	cs, err := NewClient(conn).TaskStats(t.Context(), "t1", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := <-cs.C
	if got.ByPID[4242].Memory.Measured != MemoryRSS|MemorySwap || got.Usage.CPU.Measured != CPUPercent|CPUTotalTicks || got.Timestamp.IsZero() {
		t.Fatalf("client stats %+v", got)
	}
	if err := cs.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestStreams(t *testing.T) {
	f := newFake()
	c := NewClient(serve(t, f))
	ctx, cancel := context.WithCancel(t.Context())
	fp, err := c.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := <-fp.C
	if first.Health != HealthHealthy || *first.Attributes["driver.fake.version"].String != "1" ||
		*first.Attributes["driver.fake.mem"].Int != 4 || first.Attributes["driver.fake.mem"].Unit != "MiB" {
		t.Fatalf("fingerprint %+v", first)
	}
	// The stream stays open until the agent goes away.
	cancel()
	<-f.fpCanceled
	if err := fp.Err(); status.Code(err) != codes.Canceled && !errors.Is(err, context.Canceled) {
		t.Fatalf("fingerprint stream ended with %v", err)
	}

	ev, err := c.TaskEvents(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e := <-ev.C
	if e.TaskID != "t1" || e.Message != "hello" || e.Timestamp.IsZero() {
		t.Fatalf("event %+v", e)
	}
}

// The exec stream follows the agent's message sequence: setup first,
// heartbeats ignored, stdin close is EOF, latest tty size wins, output
// close markers then exited with the result.
func TestExecTaskStreamingSequence(t *testing.T) {
	f := newFake()
	f.execOutput = strings.Repeat("x", execChunk+1)
	conn := serve(t, f)
	stream, err := pb.NewDriverClient(conn).ExecTaskStreaming(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []*pb.ExecTaskStreamingRequest{
		{Setup: &pb.ExecTaskStreamingRequest_Setup{TaskId: "t1", Command: []string{"/bin/cat"}, Tty: true}},
		{},
		{Stdin: &pb.ExecTaskStreamingIOOperation{Data: []byte("hello-")}},
		{TtySize: &pb.ExecTaskStreamingRequest_TerminalSize{Height: 50, Width: 40}},
		{TtySize: &pb.ExecTaskStreamingRequest_TerminalSize{Height: 100, Width: 100}},
		{Stdin: &pb.ExecTaskStreamingIOOperation{Data: []byte("stdin"), Close: true}},
	} {
		if err := stream.Send(msg); err != nil {
			t.Fatal(err)
		}
	}
	var seq []string
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case len(msg.GetStdout().GetData()) > 0:
			seq = append(seq, fmt.Sprintf("stdout %d", len(msg.GetStdout().GetData())))
		case len(msg.GetStderr().GetData()) > 0:
			seq = append(seq, "stderr "+string(msg.GetStderr().GetData()))
		case msg.GetStdout().GetClose():
			seq = append(seq, "stdout close")
		case msg.GetStderr().GetClose():
			seq = append(seq, "stderr close")
		case msg.GetExited():
			seq = append(seq, fmt.Sprintf("exited %d", msg.GetResult().GetExitCode()))
		}
	}
	want := fmt.Sprintf("stdout %d|stdout 1|stderr err|stdout close|stderr close|exited 3", execChunk)
	if got := strings.Join(seq, "|"); got != want {
		t.Fatalf("sequence\n%s\nwant\n%s", got, want)
	}
	if in := <-f.execStdin; in != "hello-stdin" {
		t.Fatalf("stdin %q", in)
	}
	if size := <-f.execSizes; size != (TerminalSize{Height: 100, Width: 100}) {
		t.Fatalf("latest tty size %+v", size)
	}
}

func TestExecTaskStreamingNeedsSetup(t *testing.T) {
	stream, err := pb.NewDriverClient(serve(t, newFake())).ExecTaskStreaming(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&pb.ExecTaskStreamingRequest{Stdin: &pb.ExecTaskStreamingIOOperation{Close: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("err %v, want InvalidArgument", err)
	}
}

func TestClientExecTaskStreaming(t *testing.T) {
	f := newFake()
	f.execOutput = "out"
	var stdout, stderr bytes.Buffer
	res, err := NewClient(serve(t, f)).ExecTaskStreaming(t.Context(), "t1", ExecOptions{
		Command: []string{"/bin/cat"},
		Stdin:   strings.NewReader("input"),
		Stdout:  &stdout,
		Stderr:  &stderr,
	})
	if err != nil || res.ExitCode != 3 || stdout.String() != "out" || stderr.String() != "err" || <-f.execStdin != "input" {
		t.Fatalf("exec %+v %v stdout %q stderr %q", res, err, stdout.String(), stderr.String())
	}
}
