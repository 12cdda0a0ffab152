package nomadplugin

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"

	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
	pb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
	hclspecpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/hclspec"
)

// Client calls a driver plugin's BasePlugin and Driver services the way a
// Nomad agent does, speaking this package's Go types. It exists for test
// harnesses; plugins never need it. Errors keep the plugin's message; start
// errors come back as *RecoverableError, NotFound matches ErrTaskNotFound.
type Client struct {
	base   basepb.BasePluginClient
	driver pb.DriverClient
}

// NewClient wraps a connection to a plugin's gRPC server, e.g. the one
// go-plugin dispenses under BasePluginName or DriverPluginName.
func NewClient(conn grpc.ClientConnInterface) *Client {
	return &Client{base: basepb.NewBasePluginClient(conn), driver: pb.NewDriverClient(conn)}
}

// PluginInfo returns the plugin's identity and the API versions it offers,
// failing like the agent does for a plugin that is not a driver.
func (c *Client) PluginInfo(ctx context.Context) (PluginInfo, []string, error) {
	resp, err := c.base.PluginInfo(ctx, &basepb.PluginInfoRequest{})
	if err != nil {
		return PluginInfo{}, nil, errorFromStatus(err)
	}
	if resp.GetType() != basepb.PluginType_DRIVER {
		return PluginInfo{}, nil, fmt.Errorf("plugin type is %v, want DRIVER", resp.GetType())
	}
	return PluginInfo{Name: resp.GetName(), Version: resp.GetPluginVersion()}, resp.GetPluginApiVersions(), nil
}

// ConfigSchema returns the agent-config spec as sent (nil: none accepted);
// encode bodies for it with hclspec.EncodeHCLSpec.
func (c *Client) ConfigSchema(ctx context.Context) (*hclspecpb.Spec, error) {
	resp, err := c.base.ConfigSchema(ctx, &basepb.ConfigSchemaRequest{})
	return resp.GetSpec(), errorFromStatus(err)
}

// SetConfig sends agent config; agent nil is the validation launch's form.
func (c *Client) SetConfig(ctx context.Context, raw []byte, agent *AgentConfig) error {
	_, err := c.base.SetConfig(ctx, agentConfigToProto(raw, agent))
	return errorFromStatus(err)
}

// Init and Shutdown are the optional lifecycle calls of newer agents.
func (c *Client) Init(ctx context.Context) error {
	_, err := c.driver.Init(ctx, &pb.InitRequest{})
	return errorFromStatus(err)
}

// Shutdown announces a graceful agent stop.
func (c *Client) Shutdown(ctx context.Context) error {
	_, err := c.driver.Shutdown(ctx, &pb.ShutdownRequest{})
	return errorFromStatus(err)
}

// TaskConfigSchema returns the task-config spec as sent.
func (c *Client) TaskConfigSchema(ctx context.Context) (*hclspecpb.Spec, error) {
	resp, err := c.driver.TaskConfigSchema(ctx, &pb.TaskConfigSchemaRequest{})
	return resp.GetSpec(), errorFromStatus(err)
}

// Capabilities returns the driver's capabilities.
func (c *Client) Capabilities(ctx context.Context) (Capabilities, error) {
	resp, err := c.driver.Capabilities(ctx, &pb.CapabilitiesRequest{})
	return capabilitiesFromProto(resp.GetCapabilities()), errorFromStatus(err)
}

// Fingerprint opens the health stream.
func (c *Client) Fingerprint(ctx context.Context) (*Stream[Fingerprint], error) {
	stream, err := c.driver.Fingerprint(ctx, &pb.FingerprintRequest{})
	if err != nil {
		return nil, errorFromStatus(err)
	}
	return receive(ctx, stream.Recv, fingerprintFromProto), nil
}

// StartTask starts a task.
func (c *Client) StartTask(ctx context.Context, cfg *TaskConfig) (*TaskHandle, *NetworkOverride, error) {
	resp, err := c.driver.StartTask(ctx, &pb.StartTaskRequest{Task: taskConfigToProto(cfg)})
	if err != nil {
		return nil, nil, errorFromStatus(err)
	}
	return taskHandleFromProto(resp.GetHandle()), networkOverrideFromProto(resp.GetNetworkOverride()), nil
}

// RecoverTask hands a stored handle back, leaving task_id empty as the
// agent does.
func (c *Client) RecoverTask(ctx context.Context, h *TaskHandle) error {
	_, err := c.driver.RecoverTask(ctx, &pb.RecoverTaskRequest{Handle: taskHandleToProto(h)})
	return errorFromStatus(err)
}

// WaitTask blocks until the task exits.
func (c *Client) WaitTask(ctx context.Context, id string) (ExitResult, error) {
	resp, err := c.driver.WaitTask(ctx, &pb.WaitTaskRequest{TaskId: id})
	if err != nil {
		return ExitResult{}, errorFromStatus(err)
	}
	return waitResponseFromProto(resp), nil
}

// StopTask stops a task as `kill_timeout`/`kill_signal` would.
func (c *Client) StopTask(ctx context.Context, id string, timeout time.Duration, signal string) error {
	_, err := c.driver.StopTask(ctx, &pb.StopTaskRequest{TaskId: id, Timeout: durationpb.New(timeout), Signal: signal})
	return errorFromStatus(err)
}

// DestroyTask releases a task.
func (c *Client) DestroyTask(ctx context.Context, id string, force bool) error {
	_, err := c.driver.DestroyTask(ctx, &pb.DestroyTaskRequest{TaskId: id, Force: force})
	return errorFromStatus(err)
}

// InspectTask returns a task's status.
func (c *Client) InspectTask(ctx context.Context, id string) (*TaskStatus, error) {
	resp, err := c.driver.InspectTask(ctx, &pb.InspectTaskRequest{TaskId: id})
	if err != nil {
		return nil, errorFromStatus(err)
	}
	return taskStatusFromProto(resp), nil
}

// TaskStats opens a task's stats stream.
func (c *Client) TaskStats(ctx context.Context, id string, interval time.Duration) (*Stream[TaskStats], error) {
	stream, err := c.driver.TaskStats(ctx, &pb.TaskStatsRequest{TaskId: id, CollectionInterval: durationpb.New(interval)})
	if err != nil {
		return nil, errorFromStatus(err)
	}
	return receive(ctx, stream.Recv, taskStatsFromProto), nil
}

// TaskEvents opens the driver's event stream.
func (c *Client) TaskEvents(ctx context.Context) (*Stream[TaskEvent], error) {
	stream, err := c.driver.TaskEvents(ctx, &pb.TaskEventsRequest{})
	if err != nil {
		return nil, errorFromStatus(err)
	}
	return receive(ctx, stream.Recv, taskEventFromProto), nil
}

// SignalTask sends a signal by name, e.g. "SIGUSR1".
func (c *Client) SignalTask(ctx context.Context, id, signal string) error {
	_, err := c.driver.SignalTask(ctx, &pb.SignalTaskRequest{TaskId: id, Signal: signal})
	return errorFromStatus(err)
}

// ExecTask runs a command in the task's sandbox and collects its output.
func (c *Client) ExecTask(ctx context.Context, id string, cmd []string, timeout time.Duration) (*ExecResult, error) {
	resp, err := c.driver.ExecTask(ctx, &pb.ExecTaskRequest{TaskId: id, Command: cmd, Timeout: durationpb.New(timeout)})
	if err != nil {
		return nil, errorFromStatus(err)
	}
	return execResultFromProto(resp), nil
}

// CreateNetwork asks a MustCreateNetwork driver for an allocation network.
func (c *Client) CreateNetwork(ctx context.Context, allocID, hostname string) (*NetworkIsolationSpec, bool, error) {
	resp, err := c.driver.CreateNetwork(ctx, &pb.CreateNetworkRequest{AllocId: allocID, Hostname: hostname})
	if err != nil {
		return nil, false, errorFromStatus(err)
	}
	return networkIsolationFromProto(resp.GetIsolationSpec()), resp.GetCreated(), nil
}

// DestroyNetwork releases an allocation network.
func (c *Client) DestroyNetwork(ctx context.Context, allocID string, spec *NetworkIsolationSpec) error {
	_, err := c.driver.DestroyNetwork(ctx, &pb.DestroyNetworkRequest{AllocId: allocID, IsolationSpec: networkIsolationToProto(spec)})
	return errorFromStatus(err)
}
