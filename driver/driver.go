package driver

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/hclspec"
)

// PluginName is the binary's file name in the agent's plugin_dir, which the
// agent matches against the `plugin "<name>"` block of its config.
const PluginName = "nomad-pledge-driver"

// DriverName is what jobs write as `driver = "pledge"`: the agent registers
// the driver under the name PluginInfo reports, as it did for the
// pledge.com-based driver.
const DriverName = "pledge"

// handleVersion is the version of the driver_state schema in task handles.
const handleVersion = 1

// Driver is the pledge task driver. Create it with New and serve it with
// nomadplugin.Serve.
type Driver struct {
	log     hclog.Logger
	version string
	// self is the executable init and the shim are started from.
	self string
	uid  int

	mu     sync.RWMutex
	policy *operatorPolicy // nil until SetConfig
	agent  *nomadplugin.AgentConfig

	tasks  *taskStore
	events *eventBus
	// cgroups is the host's cgroup layout, detected once; nil when
	// detection failed (reported by Fingerprint).
	cgroups   *cgroup.Host
	cgroupErr error
	// delegated is the cgroup subtree an unprivileged driver may use; nil
	// for root and when none was delegated.
	delegated *delegation
	stateDir  string
}

// Options configure a Driver.
type Options struct {
	// Logger receives the driver's log; nil discards it.
	Logger hclog.Logger
	// Version is reported as plugin_version and driver.pledge.version.
	Version string
	// Self is the executable holding the __init and __shim entries; empty
	// means the running binary (/proc/self/exe).
	Self string
	// StateDir holds per-task exit status files; it must survive plugin
	// restarts. Empty means /run/nomad-pledge-driver as root and
	// $XDG_RUNTIME_DIR/nomad-pledge-driver (or a per-user directory in
	// the temp dir) otherwise.
	StateDir string
}

// New returns a driver ready to be configured by the agent.
func New(o Options) *Driver {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Version == "" {
		o.Version = "0.0.0-dev"
	}
	d := &Driver{
		log:      o.Logger.Named(DriverName),
		version:  o.Version,
		self:     o.Self,
		uid:      os.Geteuid(),
		tasks:    newTaskStore(),
		events:   newEventBus(),
		stateDir: o.StateDir,
	}
	if d.stateDir == "" {
		d.stateDir = defaultStateDir(d.uid)
	}
	d.cgroups, d.cgroupErr = cgroup.Detect()
	if d.uid != 0 {
		d.delegated = findDelegation(d.cgroups)
	}
	return d
}

// defaultStateDir is where exit status files live by default.
func defaultStateDir(uid int) string {
	if uid == 0 {
		return "/run/" + PluginName
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		return rt + "/" + PluginName
	}
	return fmt.Sprintf("%s/%s-%d", os.TempDir(), PluginName, uid)
}

// PluginInfo names the plugin. Jobs select it with driver = "pledge"
// because the agent registers drivers under this name.
func (d *Driver) PluginInfo() nomadplugin.PluginInfo {
	return nomadplugin.PluginInfo{Name: DriverName, Version: d.version}
}

// ConfigSchema is the plugin config schema.
func (d *Driver) ConfigSchema() hclspec.Object { return pluginConfigSchema }

// TaskConfigSchema is the task config schema.
func (d *Driver) TaskConfigSchema() hclspec.Object { return taskConfigSchema }

// SetConfig validates and applies the plugin config. It is called twice by
// the agent's validation launch and once by the runtime launch.
func (d *Driver) SetConfig(raw []byte, agent *nomadplugin.AgentConfig) error {
	var c PluginConfig
	if err := pluginConfigSchema.Decode(raw, &c); err != nil {
		return fmt.Errorf("plugin config: %w", err)
	}
	op, err := parsePluginConfig(&c)
	if err != nil {
		return err
	}
	for _, w := range op.Warnings {
		d.log.Warn(w)
	}
	d.mu.Lock()
	d.policy, d.agent = op, agent
	d.mu.Unlock()
	return nil
}

// operator returns the plugin config, or the defaults when the agent
// reattached without SetConfig (it does so after its own restart).
func (d *Driver) operator() *operatorPolicy {
	d.mu.RLock()
	op := d.policy
	d.mu.RUnlock()
	if op != nil {
		return op
	}
	op, err := parsePluginConfig(&PluginConfig{DefaultUser: "nobody", AllowedCaps: []string{"net_bind_service"}, RequireLandlock: true})
	if err != nil {
		panic("driver: default plugin config is invalid: " + err.Error())
	}
	return op
}

// Capabilities tells the agent what the driver supports. The file system
// isolation is reported as "none": the task sees host paths, restricted by
// Landlock, so the agent hands out host paths in NOMAD_TASK_DIR and friends.
// Nomad's own "unveil" mode is not used on purpose: with it the agent
// bind-mounts the task directories (root only) and looks up the task's user
// while building them, which fails for the classic pledge jobs that set no
// `user` and for agents that run unprivileged. Volume mounts
// are not supported (the task shares the host's file system view), so the
// agent rejects them up front instead of silently ignoring them.
func (d *Driver) Capabilities() nomadplugin.Capabilities {
	return nomadplugin.Capabilities{
		SendSignals:           true,
		Exec:                  true,
		FSIsolation:           nomadplugin.FSIsolationNone,
		NetworkIsolationModes: []nomadplugin.NetworkIsolationMode{nomadplugin.NetworkIsolationHost, nomadplugin.NetworkIsolationGroup},
		MountConfigs:          nomadplugin.MountsNone,
	}
}

// Init is a no-op: everything is ready after SetConfig.
func (d *Driver) Init() error { return nil }

// Shutdown leaves tasks running: they must outlive the plugin, and a
// restarted agent recovers them.
func (d *Driver) Shutdown(ctx context.Context) error { return nil }

// task looks up a task or returns nomadplugin.ErrTaskNotFound.
func (d *Driver) task(id string) (*taskHandle, error) {
	h := d.tasks.get(id)
	if h == nil {
		return nil, fmt.Errorf("task %q: %w", id, nomadplugin.ErrTaskNotFound)
	}
	return h, nil
}

var _ nomadplugin.Driver = (*Driver)(nil)
