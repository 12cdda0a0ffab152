package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zclconf/go-cty/cty/gocty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
	structspb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/structs"
)

// handleVersion is the version of driverState in task handles.
const handleVersion = 1

func (d *driver) StartTask(_ context.Context, req *driverpb.StartTaskRequest) (*driverpb.StartTaskResponse, error) {
	cfg := req.GetTask()
	journal("StartTask id=%s config_bytes=%d", cfg.GetId(), len(cfg.GetMsgpackDriverConfig()))
	tc, err := decodeTaskConfig(cfg.GetMsgpackDriverConfig())
	if err != nil {
		return nil, startError(err, false)
	}
	if tc.StartError != "" {
		return nil, startError(fmt.Errorf("%s", tc.StartError), tc.Recoverable)
	}
	t, err := startProcess(cfg, tc, d.exitHook(cfg))
	if err != nil {
		return nil, startError(err, true)
	}
	state, err := json.Marshal(t.state)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encoding driver state: %v", err)
	}
	d.track(t)
	d.emit(cfg, fmt.Sprintf("started pid %d", t.state.PID))
	return &driverpb.StartTaskResponse{Handle: &driverpb.TaskHandle{
		Version:     handleVersion,
		Config:      cfg,
		State:       driverpb.TaskState_RUNNING,
		DriverState: state,
	}}, nil
}

// RecoverTask re-attaches from driver_state alone, since the agent sends
// the handle without msgpack_driver_config.
func (d *driver) RecoverTask(_ context.Context, req *driverpb.RecoverTaskRequest) (*driverpb.RecoverTaskResponse, error) {
	h := req.GetHandle()
	cfg := h.GetConfig()
	journal("RecoverTask id=%s version=%d config_bytes=%d driver_state=%s", cfg.GetId(), h.GetVersion(),
		len(cfg.GetMsgpackDriverConfig()), h.GetDriverState())
	if _, err := d.lookup(cfg.GetId()); err == nil {
		return &driverpb.RecoverTaskResponse{}, nil
	}
	if h.GetVersion() != handleVersion {
		return nil, status.Errorf(codes.InvalidArgument, "task handle version %d; this plugin writes version %d", h.GetVersion(), handleVersion)
	}
	var state driverState
	if err := json.Unmarshal(h.GetDriverState(), &state); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "decoding driver_state: %v", err)
	}
	t, err := recoverProcess(cfg, state, d.exitHook(cfg))
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "recovering task %q: %v", cfg.GetId(), err)
	}
	d.track(t)
	d.emit(cfg, fmt.Sprintf("recovered pid %d", state.PID))
	return &driverpb.RecoverTaskResponse{}, nil
}

func (d *driver) track(t *task) {
	d.mu.Lock()
	d.tasks[t.cfg.GetId()] = t
	d.mu.Unlock()
}

func (d *driver) exitHook(cfg *driverpb.TaskConfig) func(*driverpb.ExitResult) {
	return func(r *driverpb.ExitResult) {
		d.emit(cfg, fmt.Sprintf("exited with code %d signal %d", r.GetExitCode(), r.GetSignal()))
	}
}

func decodeTaskConfig(raw []byte) (taskConfig, error) {
	var tc taskConfig
	val, err := ctymsgpack.Unmarshal(raw, taskConfigType)
	if err != nil {
		return tc, fmt.Errorf("decoding task config: %w", err)
	}
	if err := gocty.FromCtyValue(val, &tc); err != nil {
		return tc, fmt.Errorf("decoding task config: %w", err)
	}
	if _, err := time.ParseDuration(tc.RunFor); err != nil {
		return tc, fmt.Errorf("task config run_for %q: %w; use a Go duration such as \"10s\"", tc.RunFor, err)
	}
	return tc, nil
}

// startError encodes a start failure the way Nomad's agent expects it:
// FailedPrecondition with a RecoverableError detail.
func startError(err error, recoverable bool) error {
	st, derr := status.New(codes.FailedPrecondition, err.Error()).
		WithDetails(&structspb.RecoverableError{Recoverable: recoverable})
	if derr != nil {
		return status.Errorf(codes.Internal, "attaching error detail: %v", derr)
	}
	return st.Err()
}
