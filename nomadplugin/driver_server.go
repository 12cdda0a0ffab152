package nomadplugin

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// defaultStatsInterval applies when the agent sends no collection interval.
const defaultStatsInterval = time.Second

// driverServer serves the Driver service by translating each RPC to a call
// of the Go Driver.
type driverServer struct {
	pb.UnimplementedDriverServer
	d   Driver
	log hclog.Logger
	now func() time.Time
}

func newDriverServer(d Driver, log hclog.Logger) *driverServer {
	return &driverServer{d: d, log: log, now: time.Now}
}

func (s *driverServer) Init(context.Context, *pb.InitRequest) (*pb.InitResponse, error) {
	return &pb.InitResponse{}, statusError(s.d.Init())
}

func (s *driverServer) Shutdown(ctx context.Context, _ *pb.ShutdownRequest) (*pb.ShutdownResponse, error) {
	return &pb.ShutdownResponse{}, statusError(s.d.Shutdown(ctx))
}

func (s *driverServer) TaskConfigSchema(context.Context, *pb.TaskConfigSchemaRequest) (*pb.TaskConfigSchemaResponse, error) {
	return &pb.TaskConfigSchemaResponse{Spec: s.d.TaskConfigSchema().Proto()}, nil
}

func (s *driverServer) Capabilities(context.Context, *pb.CapabilitiesRequest) (*pb.CapabilitiesResponse, error) {
	return &pb.CapabilitiesResponse{Capabilities: capabilitiesToProto(s.d.Capabilities())}, nil
}

// Fingerprint forwards health reports until the driver closes the channel
// or the agent goes away; the agent re-opens the stream when it ends.
func (s *driverServer) Fingerprint(_ *pb.FingerprintRequest, stream pb.Driver_FingerprintServer) error {
	ctx := stream.Context()
	return forward(ctx, s.d.Fingerprint(ctx), func(f Fingerprint) error {
		return stream.Send(fingerprintToProto(f))
	})
}

func (s *driverServer) RecoverTask(_ context.Context, req *pb.RecoverTaskRequest) (*pb.RecoverTaskResponse, error) {
	h := taskHandleFromProto(req.GetHandle())
	if h == nil || h.Config == nil {
		return nil, status.Error(codes.InvalidArgument, "RecoverTask needs a handle with its task config")
	}
	if h.Config.ID == "" {
		h.Config.ID = req.GetTaskId()
	}
	return &pb.RecoverTaskResponse{}, statusError(s.d.RecoverTask(h))
}

func (s *driverServer) StartTask(_ context.Context, req *pb.StartTaskRequest) (*pb.StartTaskResponse, error) {
	if req.GetTask() == nil {
		return nil, status.Error(codes.InvalidArgument, "StartTask needs a task config")
	}
	h, net, err := s.d.StartTask(taskConfigFromProto(req.GetTask()))
	if err != nil {
		return nil, startError(err)
	}
	if h == nil {
		return nil, startError(errors.New("driver returned no task handle"))
	}
	return &pb.StartTaskResponse{Handle: taskHandleToProto(h), NetworkOverride: networkOverrideToProto(net)}, nil
}

// WaitTask blocks until the task exits or the agent cancels the call.
func (s *driverServer) WaitTask(ctx context.Context, req *pb.WaitTaskRequest) (*pb.WaitTaskResponse, error) {
	ch, err := s.d.WaitTask(ctx, req.GetTaskId())
	if err != nil {
		return nil, statusError(err)
	}
	select {
	case res, ok := <-ch:
		if !ok {
			return nil, status.Errorf(codes.Aborted, "wait for task %s ended without an exit result", req.GetTaskId())
		}
		return waitResponseToProto(res), nil
	case <-ctx.Done():
		return nil, statusError(ctx.Err())
	}
}

func (s *driverServer) StopTask(_ context.Context, req *pb.StopTaskRequest) (*pb.StopTaskResponse, error) {
	err := s.d.StopTask(req.GetTaskId(), durationFromProto(req.GetTimeout()), req.GetSignal())
	return &pb.StopTaskResponse{}, statusError(err)
}

func (s *driverServer) DestroyTask(_ context.Context, req *pb.DestroyTaskRequest) (*pb.DestroyTaskResponse, error) {
	return &pb.DestroyTaskResponse{}, statusError(s.d.DestroyTask(req.GetTaskId(), req.GetForce()))
}

func (s *driverServer) InspectTask(_ context.Context, req *pb.InspectTaskRequest) (*pb.InspectTaskResponse, error) {
	st, err := s.d.InspectTask(req.GetTaskId())
	if err != nil {
		return nil, statusError(err)
	}
	if st == nil {
		return nil, status.Errorf(codes.NotFound, "task %s: driver returned no status", req.GetTaskId())
	}
	return taskStatusToProto(st), nil
}

// TaskStats streams samples until the agent cancels. A recoverable error
// while opening the stream keeps its RecoverableError detail.
func (s *driverServer) TaskStats(req *pb.TaskStatsRequest, stream pb.Driver_TaskStatsServer) error {
	interval := durationFromProto(req.GetCollectionInterval())
	if interval <= 0 {
		interval = defaultStatsInterval
	}
	ctx := stream.Context()
	ch, err := s.d.TaskStats(ctx, req.GetTaskId(), interval)
	if err != nil {
		return statusError(err)
	}
	return forward(ctx, ch, func(st TaskStats) error {
		return stream.Send(taskStatsToProto(st, s.now()))
	})
}

// TaskEvents streams events of all tasks; the agent keeps it open for the
// plugin's lifetime. Events published before the stream subscribed are not
// sent, and opening a stream returns to the client before this handler
// runs, so the (empty) response headers go out once it has subscribed: a
// client that must see every event of the tasks it starts next waits for
// them (plugintest does; the agent ignores them).
func (s *driverServer) TaskEvents(_ *pb.TaskEventsRequest, stream pb.Driver_TaskEventsServer) error {
	ctx := stream.Context()
	ch, err := s.d.TaskEvents(ctx)
	if err != nil {
		return statusError(err)
	}
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	return forward(ctx, ch, func(e TaskEvent) error {
		if e.Timestamp.IsZero() {
			e.Timestamp = s.now()
		}
		return stream.Send(taskEventToProto(e))
	})
}

func (s *driverServer) SignalTask(_ context.Context, req *pb.SignalTaskRequest) (*pb.SignalTaskResponse, error) {
	return &pb.SignalTaskResponse{}, statusError(s.d.SignalTask(req.GetTaskId(), req.GetSignal()))
}

func (s *driverServer) ExecTask(_ context.Context, req *pb.ExecTaskRequest) (*pb.ExecTaskResponse, error) {
	if len(req.GetCommand()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "ExecTask needs a command")
	}
	res, err := s.d.ExecTask(req.GetTaskId(), req.GetCommand(), durationFromProto(req.GetTimeout()))
	if err != nil {
		return nil, statusError(err)
	}
	return execResultToProto(res), nil
}

func (s *driverServer) CreateNetwork(_ context.Context, req *pb.CreateNetworkRequest) (*pb.CreateNetworkResponse, error) {
	nc, ok := s.d.(NetworkCreator)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "driver does not create networks (capability must_create_network is off)")
	}
	spec, created, err := nc.CreateNetwork(req.GetAllocId(), req.GetHostname())
	if err != nil {
		return nil, statusError(err)
	}
	return &pb.CreateNetworkResponse{IsolationSpec: networkIsolationToProto(spec), Created: created}, nil
}

func (s *driverServer) DestroyNetwork(_ context.Context, req *pb.DestroyNetworkRequest) (*pb.DestroyNetworkResponse, error) {
	nc, ok := s.d.(NetworkCreator)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "driver does not create networks (capability must_create_network is off)")
	}
	err := nc.DestroyNetwork(req.GetAllocId(), networkIsolationFromProto(req.GetIsolationSpec()))
	return &pb.DestroyNetworkResponse{}, statusError(err)
}

// forward sends every value from ch until ch is closed (stream ends OK) or
// ctx is done (the agent went away; nothing left to tell it).
func forward[T any](ctx context.Context, ch <-chan T, send func(T) error) error {
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				return nil
			}
			if err := send(v); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}
