package main

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
	structspb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/structs"
)

// driver serves BasePlugin and Driver.
type driver struct {
	basepb.UnimplementedBasePluginServer
	driverpb.UnimplementedDriverServer

	log hclog.Logger

	mu          sync.Mutex
	config      pluginConfig
	tasks       map[string]*task
	subscribers map[chan *driverpb.DriverTaskEvent]struct{}
}

func newDriver(log hclog.Logger) *driver {
	return &driver{
		log:         log,
		tasks:       map[string]*task{},
		subscribers: map[chan *driverpb.DriverTaskEvent]struct{}{},
	}
}

func (d *driver) Init(context.Context, *driverpb.InitRequest) (*driverpb.InitResponse, error) {
	journal("Init")
	return &driverpb.InitResponse{}, nil
}

func (d *driver) Shutdown(context.Context, *driverpb.ShutdownRequest) (*driverpb.ShutdownResponse, error) {
	journal("Shutdown")
	return &driverpb.ShutdownResponse{}, nil
}

func (d *driver) TaskConfigSchema(context.Context, *driverpb.TaskConfigSchemaRequest) (*driverpb.TaskConfigSchemaResponse, error) {
	journal("TaskConfigSchema")
	return &driverpb.TaskConfigSchemaResponse{Spec: taskConfigSpec()}, nil
}

func (d *driver) Capabilities(context.Context, *driverpb.CapabilitiesRequest) (*driverpb.CapabilitiesResponse, error) {
	journal("Capabilities")
	return &driverpb.CapabilitiesResponse{Capabilities: &driverpb.DriverCapabilities{
		SendSignals: true,
		Exec:        true,
		FsIsolation: driverpb.DriverCapabilities_NONE,
	}}, nil
}

// Fingerprint sends one healthy fingerprint and keeps the stream open.
func (d *driver) Fingerprint(_ *driverpb.FingerprintRequest, stream driverpb.Driver_FingerprintServer) error {
	journal("Fingerprint")
	d.mu.Lock()
	msg := d.config.HealthMessage
	d.mu.Unlock()
	err := stream.Send(&driverpb.FingerprintResponse{
		Attributes: map[string]*structspb.Attribute{
			"driver.testplugin": {Value: &structspb.Attribute_BoolVal{BoolVal: true}},
		},
		Health:            driverpb.FingerprintResponse_HEALTHY,
		HealthDescription: msg,
	})
	if err != nil {
		return err
	}
	<-stream.Context().Done()
	return nil
}

// TaskEvents forwards every event of every task until the client goes away.
// Like the nomadplugin server, it sends the response headers once it has
// subscribed (and journaled), which is what plugintest waits for.
func (d *driver) TaskEvents(_ *driverpb.TaskEventsRequest, stream driverpb.Driver_TaskEventsServer) error {
	journal("TaskEvents")
	ch := make(chan *driverpb.DriverTaskEvent, 64)
	d.mu.Lock()
	d.subscribers[ch] = struct{}{}
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.subscribers, ch)
		d.mu.Unlock()
	}()
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	for {
		select {
		case ev := <-ch:
			if err := stream.Send(ev); err != nil {
				return err
			}
		case <-stream.Context().Done():
			return nil
		}
	}
}

// emit sends an event to every TaskEvents stream; a stream too slow to keep
// 64 events buffered loses events rather than blocking tasks.
func (d *driver) emit(cfg *driverpb.TaskConfig, message string) {
	ev := &driverpb.DriverTaskEvent{
		TaskId:    cfg.GetId(),
		AllocId:   cfg.GetAllocId(),
		TaskName:  cfg.GetName(),
		Timestamp: timestamppb.Now(),
		Message:   message,
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for ch := range d.subscribers {
		select {
		case ch <- ev:
		default:
			d.log.Warn("task event dropped", "task_id", ev.TaskId, "message", message)
		}
	}
}

func (d *driver) lookup(id string) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "task not found for given id %q", id)
	}
	return t, nil
}

func (d *driver) WaitTask(ctx context.Context, req *driverpb.WaitTaskRequest) (*driverpb.WaitTaskResponse, error) {
	journal("WaitTask")
	t, err := d.lookup(req.GetTaskId())
	if err != nil {
		return nil, err
	}
	select {
	case <-t.done:
		return &driverpb.WaitTaskResponse{Result: t.result}, nil
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

func (d *driver) StopTask(_ context.Context, req *driverpb.StopTaskRequest) (*driverpb.StopTaskResponse, error) {
	journal("StopTask signal=%s", req.GetSignal())
	t, err := d.lookup(req.GetTaskId())
	if err != nil {
		return nil, err
	}
	sig := req.GetSignal()
	if sig == "" {
		sig = "SIGINT"
	}
	if err := t.stop(sig, req.GetTimeout().AsDuration()); err != nil {
		return nil, err
	}
	return &driverpb.StopTaskResponse{}, nil
}

// DestroyTask forgets the task; unknown ids succeed so that it is idempotent.
func (d *driver) DestroyTask(_ context.Context, req *driverpb.DestroyTaskRequest) (*driverpb.DestroyTaskResponse, error) {
	journal("DestroyTask force=%t", req.GetForce())
	d.mu.Lock()
	t, ok := d.tasks[req.GetTaskId()]
	d.mu.Unlock()
	if !ok {
		return &driverpb.DestroyTaskResponse{}, nil
	}
	if !t.exited() {
		if !req.GetForce() {
			return nil, status.Errorf(codes.FailedPrecondition, "task %q is still running; stop it first or destroy with force", req.GetTaskId())
		}
		t.kill()
		<-t.done
	}
	d.mu.Lock()
	delete(d.tasks, req.GetTaskId())
	d.mu.Unlock()
	t.release()
	return &driverpb.DestroyTaskResponse{}, nil
}

func (d *driver) InspectTask(_ context.Context, req *driverpb.InspectTaskRequest) (*driverpb.InspectTaskResponse, error) {
	journal("InspectTask")
	t, err := d.lookup(req.GetTaskId())
	if err != nil {
		return nil, err
	}
	st := &driverpb.TaskStatus{
		Id:          t.cfg.GetId(),
		Name:        t.cfg.GetName(),
		State:       driverpb.TaskState_RUNNING,
		StartedAt:   timestamppb.New(t.state.StartedAt),
		CompletedAt: timestamppb.New(time.Time{}),
	}
	if t.exited() {
		st.State = driverpb.TaskState_EXITED
		st.CompletedAt = timestamppb.New(t.completedAt)
		st.Result = t.result
	}
	return &driverpb.InspectTaskResponse{
		Task: st,
		Driver: &driverpb.TaskDriverStatus{Attributes: map[string]string{
			"pid":       strconv.Itoa(t.state.PID),
			"recovered": strconv.FormatBool(t.recovered),
		}},
	}, nil
}

func (d *driver) SignalTask(_ context.Context, req *driverpb.SignalTaskRequest) (*driverpb.SignalTaskResponse, error) {
	journal("SignalTask signal=%s", req.GetSignal())
	t, err := d.lookup(req.GetTaskId())
	if err != nil {
		return nil, err
	}
	if err := t.signal(req.GetSignal()); err != nil {
		return nil, err
	}
	return &driverpb.SignalTaskResponse{}, nil
}
