// Package nomadplugin speaks Nomad's task-driver plugin protocol (go-plugin
// handshake, the BasePlugin and Driver gRPC services, cty-msgpack config) so
// that a driver written against the plain Go Driver interface below loads in a
// stock Nomad agent. No protobuf type appears in this package's exported API;
// all wire conversions live in convert*.go.
package nomadplugin

import (
	"context"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/hclspec"
)

// Driver is a Nomad task driver. Serve calls its methods from concurrent gRPC
// handlers, so implementations must be safe for concurrent use.
//
// Methods taking a context get one that is cancelled when the agent cancels
// the RPC or the stream ends; channels returned by them must be closed by the
// driver when it has nothing more to send or the context is done.
type Driver interface {
	// PluginInfo identifies the plugin. The name must equal the binary's
	// file name in the agent's plugin_dir.
	PluginInfo() PluginInfo
	// ConfigSchema describes the agent's `plugin "<name>" { config {} }`
	// body; nil accepts no configuration.
	ConfigSchema() hclspec.Object
	// SetConfig receives that body as cty msgpack (decode it with
	// ConfigSchema().Decode). agent is nil in the agent's validation
	// launches, which call SetConfig twice without agent settings.
	SetConfig(raw []byte, agent *AgentConfig) error
	// TaskConfigSchema describes a task's `config {}` body.
	TaskConfigSchema() hclspec.Object
	Capabilities() Capabilities
	// Fingerprint reports the driver's health: one value at once, then again
	// on every change, until ctx is done.
	Fingerprint(ctx context.Context) <-chan Fingerprint

	// StartTask starts a task. Return a NewRecoverableError to tell the
	// agent whether restarting may help; other errors are fatal.
	StartTask(cfg *TaskConfig) (*TaskHandle, *NetworkOverride, error)
	// RecoverTask re-attaches to a task started by an earlier plugin process
	// from the handle StartTask returned. handle.Config.DriverConfig is
	// empty here: everything needed must be in handle.DriverState. Recovering
	// a task the driver already tracks must succeed.
	RecoverTask(handle *TaskHandle) error
	// WaitTask delivers the task's exit, also for a task that exited before
	// the call (until DestroyTask).
	WaitTask(ctx context.Context, id string) (<-chan ExitResult, error)
	// StopTask sends signal (empty = driver default), waits up to timeout and
	// then kills the task.
	StopTask(id string, timeout time.Duration, signal string) error
	// DestroyTask releases everything the driver holds for the task. It must
	// be idempotent and succeed for exited tasks.
	DestroyTask(id string, force bool) error
	InspectTask(id string) (*TaskStatus, error)
	// TaskStats sends resource usage every interval until ctx is done.
	TaskStats(ctx context.Context, id string, interval time.Duration) (<-chan TaskStats, error)
	// TaskEvents streams driver events of all tasks until ctx is done.
	TaskEvents(ctx context.Context) (<-chan TaskEvent, error)
	SignalTask(id string, signal string) error
	// ExecTask runs cmd inside the task's sandbox and collects its output.
	ExecTask(id string, cmd []string, timeout time.Duration) (*ExecResult, error)
	// ExecTaskStreaming runs an interactive command (`nomad alloc exec`) in
	// the task's sandbox, wired to opts, and returns its exit.
	ExecTaskStreaming(ctx context.Context, id string, opts ExecOptions) (*ExitResult, error)

	// Init runs once per plugin process after SetConfig (newer agents only).
	Init() error
	// Shutdown is the agent's best-effort notice of a graceful stop.
	Shutdown(ctx context.Context) error
}

// NetworkCreator is implemented by drivers whose Capabilities set
// MustCreateNetwork: the agent then asks the driver to create and destroy an
// allocation's network namespace. Serve answers Unimplemented for drivers
// without it.
type NetworkCreator interface {
	// CreateNetwork returns the isolation for allocID and whether it was
	// newly created (false: an existing one was reused).
	CreateNetwork(allocID, hostname string) (*NetworkIsolationSpec, bool, error)
	DestroyNetwork(allocID string, spec *NetworkIsolationSpec) error
}

// PluginInfo identifies the plugin to the agent.
type PluginInfo struct {
	// Name must match the file name of the plugin binary.
	Name string
	// Version is the plugin's semantic version, e.g. "0.1.0".
	Version string
}

// AgentConfig is what the agent tells a runtime plugin instance about itself.
type AgentConfig struct {
	// APIVersion is the plugin API version the agent chose ("v0.1.0").
	APIVersion string
	// ClientMinPort and ClientMaxPort bound the agent's dynamic port range.
	ClientMinPort, ClientMaxPort uint32
	// Topology is the node's NUMA and CPU layout; nil from agents before 1.7.
	Topology *Topology
}

// Topology describes the node's NUMA nodes and CPU cores.
type Topology struct {
	NodeIDs []uint32
	// Distances is the row-major NUMA distance matrix (SLIT) of Dimension²
	// values.
	Dimension              uint32
	Distances              []uint32
	Cores                  []Core
	OverrideTotalCompute   uint64
	OverrideWitholdCompute uint64
}

// Core is one CPU core of the node. Speeds are in MHz.
type Core struct {
	SocketID, NodeID, CoreID        uint32
	Efficiency                      bool // false: performance core
	Disabled                        bool
	BaseSpeed, MaxSpeed, GuessSpeed uint64
}
