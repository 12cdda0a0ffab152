package plugintest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zclconf/go-cty/cty"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/hclspec"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// Capabilities asks the runtime instance for its capabilities.
func (p *Plugin) Capabilities() (*driverpb.DriverCapabilities, error) {
	proc, err := p.current()
	if err != nil {
		return nil, err
	}
	ctx, cancel := p.rpcContext()
	defer cancel()
	resp, err := proc.driver.Capabilities(ctx, &driverpb.CapabilitiesRequest{})
	return resp.GetCapabilities(), rpcError("Capabilities", err)
}

// EncodeConfig encodes a task `config {}` body with the runtime instance's
// TaskConfigSchema exactly as the agent does; vars are the variables for
// ${…} references (see Task.Vars).
func (p *Plugin) EncodeConfig(body string, vars map[string]cty.Value) ([]byte, error) {
	proc, err := p.current()
	if err != nil {
		return nil, err
	}
	ctx, cancel := p.rpcContext()
	defer cancel()
	resp, err := proc.driver.TaskConfigSchema(ctx, &driverpb.TaskConfigSchemaRequest{})
	if err != nil {
		return nil, rpcError("TaskConfigSchema", err)
	}
	if resp.GetSpec() == nil {
		if body != "" {
			return nil, errors.New("the driver has no TaskConfigSchema spec, so a task config body is rejected")
		}
		return nil, nil
	}
	raw, err := hclspec.EncodeHCLSpec(resp.GetSpec(), body, vars)
	if err != nil {
		return nil, fmt.Errorf("failed to parse config: %w", err)
	}
	return raw, nil
}

// Start starts the task as the agent does: TaskConfigSchema and encoding of
// the config body (an error here is the agent's "Failed Validation"),
// Capabilities, then StartTask. A failed StartTask returns an *Error
// carrying the gRPC code and the RecoverableError detail.
func (t *Task) Start() error {
	raw, err := t.p.EncodeConfig(t.opts.Config, t.Vars)
	if err != nil {
		return err
	}
	if _, err := t.p.Capabilities(); err != nil {
		return err
	}
	t.Config.MsgpackDriverConfig = raw
	proc, err := t.p.current()
	if err != nil {
		return err
	}
	ctx, cancel := t.p.rpcContext()
	defer cancel()
	resp, err := proc.driver.StartTask(ctx, &driverpb.StartTaskRequest{Task: t.Config})
	if err != nil {
		return rpcError("StartTask", err)
	}
	if resp.GetHandle() == nil {
		return errors.New("StartTask succeeded without a handle; the agent cannot recover such a task")
	}
	t.Handle, t.Network = resp.GetHandle(), resp.GetNetworkOverride()
	return nil
}

// Recover hands the stored handle back to the runtime instance, as the
// agent does after relaunching a plugin: TaskConfigSchema, Capabilities,
// then RecoverTask with task_id unset and the handle's
// msgpack_driver_config cleared (the agent does not persist it).
func (t *Task) Recover() error {
	if t.Handle == nil {
		return errors.New("the task was never started; there is no handle to recover")
	}
	proc, err := t.p.current()
	if err != nil {
		return err
	}
	ctx, cancel := t.p.rpcContext()
	defer cancel()
	if _, err := proc.driver.TaskConfigSchema(ctx, &driverpb.TaskConfigSchemaRequest{}); err != nil {
		return rpcError("TaskConfigSchema", err)
	}
	if _, err := proc.driver.Capabilities(ctx, &driverpb.CapabilitiesRequest{}); err != nil {
		return rpcError("Capabilities", err)
	}
	h := proto.Clone(t.Handle).(*driverpb.TaskHandle)
	if h.Config != nil {
		h.Config.MsgpackDriverConfig = nil
	}
	_, err = proc.driver.RecoverTask(ctx, &driverpb.RecoverTaskRequest{Handle: h})
	return rpcError("RecoverTask", err)
}

// KillAndRecover simulates a plugin crash: SIGKILL the runtime instance,
// relaunch it and recover the given tasks, as the agent's task runners do.
func (p *Plugin) KillAndRecover(tasks ...*Task) error {
	if err := p.Kill(); err != nil {
		return err
	}
	if err := p.Relaunch(); err != nil {
		return err
	}
	for _, t := range tasks {
		if err := t.Recover(); err != nil {
			return fmt.Errorf("task %s: %w", t.ID(), err)
		}
	}
	return nil
}

// Wait calls WaitTask and waits up to timeout for the task's exit. A
// non-empty WaitTaskResponse.err is returned as an error alongside the
// result.
func (t *Task) Wait(timeout time.Duration) (*driverpb.ExitResult, error) {
	proc, err := t.p.current()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := proc.driver.WaitTask(ctx, &driverpb.WaitTaskRequest{TaskId: t.ID()})
	if err != nil {
		return nil, rpcError("WaitTask", err)
	}
	if resp.GetErr() != "" {
		return resp.GetResult(), fmt.Errorf("WaitTask: %s", resp.GetErr())
	}
	return resp.GetResult(), nil
}

// Stop calls StopTask as `kill_timeout` / `kill_signal` would; an empty
// signal asks for the driver's default.
func (t *Task) Stop(timeout time.Duration, signal string) error {
	return t.call("StopTask", func(ctx context.Context, d driverpb.DriverClient) error {
		_, err := d.StopTask(ctx, &driverpb.StopTaskRequest{TaskId: t.ID(), Timeout: durationpb.New(timeout), Signal: signal})
		return err
	}, timeout)
}

// Destroy calls DestroyTask; the agent always uses force=true after exit.
func (t *Task) Destroy(force bool) error {
	return t.call("DestroyTask", func(ctx context.Context, d driverpb.DriverClient) error {
		_, err := d.DestroyTask(ctx, &driverpb.DestroyTaskRequest{TaskId: t.ID(), Force: force})
		return err
	}, 0)
}

// Signal calls SignalTask with a signal name such as "SIGUSR1".
func (t *Task) Signal(signal string) error {
	return t.call("SignalTask", func(ctx context.Context, d driverpb.DriverClient) error {
		_, err := d.SignalTask(ctx, &driverpb.SignalTaskRequest{TaskId: t.ID(), Signal: signal})
		return err
	}, 0)
}

// Inspect calls InspectTask.
func (t *Task) Inspect() (*driverpb.InspectTaskResponse, error) {
	var resp *driverpb.InspectTaskResponse
	err := t.call("InspectTask", func(ctx context.Context, d driverpb.DriverClient) error {
		var err error
		resp, err = d.InspectTask(ctx, &driverpb.InspectTaskRequest{TaskId: t.ID()})
		return err
	}, 0)
	return resp, err
}

// call runs one unary RPC on the runtime instance with the harness timeout
// plus extra.
func (t *Task) call(method string, rpc func(context.Context, driverpb.DriverClient) error, extra time.Duration) error {
	proc, err := t.p.current()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.p.opts.Timeout+extra)
	defer cancel()
	return rpcError(method, rpc(ctx, proc.driver))
}
