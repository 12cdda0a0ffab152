package nomadplugin

import (
	"path/filepath"
	"time"
)

// TaskConfig is everything the agent tells the driver about a task to start.
type TaskConfig struct {
	// ID is "<allocID>/<task>/<random>", new for every start.
	ID   string
	Name string
	// DriverConfig is the task's `config {}` body as cty msgpack; decode it
	// with the driver's TaskConfigSchema().Decode. Empty in RecoverTask.
	DriverConfig []byte
	// Env is the task's full environment; DeviceEnv the part device plugins set.
	Env       map[string]string
	DeviceEnv map[string]string
	Resources *Resources
	Mounts    []Mount
	Devices   []Device
	// User is the task's `user`; the driver must run the task as that user.
	User string
	// AllocDir is the host path of the allocation directory; the task
	// directory is AllocDir/Name (see TaskDir).
	AllocDir string
	// StdoutPath and StderrPath are the log FIFOs to open write-only for the
	// task (ignore them when log collection is disabled).
	StdoutPath    string
	StderrPath    string
	TaskGroupName string
	JobName       string
	JobID         string
	ParentJobID   string
	AllocID       string
	Namespace     string
	NodeName      string
	NodeID        string
	// NetworkIsolation is set when the group has a network namespace.
	NetworkIsolation *NetworkIsolationSpec
	DNS              *DNSConfig
}

// TaskDir is the host path of the task's own directory.
func (c *TaskConfig) TaskDir() string {
	return filepath.Join(c.AllocDir, c.Name)
}

// Resources are the task's allocated resources.
type Resources struct {
	// CPUShares is the task's `resources.cpu` in MHz.
	CPUShares int64
	MemoryMB  int64
	// MemoryMaxMB is set only when memory oversubscription is enabled.
	MemoryMaxMB int64
	Networks    []NetworkResource
	Linux       *LinuxResources
	Ports       []PortMapping
}

// LinuxResources are the cgroup-level settings the agent computed.
type LinuxResources struct {
	CPUPeriod        int64
	CPUQuota         int64
	CPUShares        int64
	MemoryLimitBytes int64
	OOMScoreAdj      int64
	// CpusetCPUs lists reserved cores ("0,1"); empty when none are reserved.
	CpusetCPUs   string
	PercentTicks float64
	// CpusetCgroup is the task cgroup (v2) or its cpuset cgroup (v1); it may
	// not exist when the agent runs without cgroups.
	CpusetCgroup string
}

// NetworkResource is a legacy task-level network.
type NetworkResource struct {
	Device        string
	CIDR          string
	IP            string
	MBits         int
	ReservedPorts []NetworkPort
	DynamicPorts  []NetworkPort
}

// NetworkPort is a labelled port of a NetworkResource.
type NetworkPort struct {
	Label string
	Value int
}

// PortMapping is a group port: Value is the host port, To the port inside the
// task's network (0 if unset).
type PortMapping struct {
	Label  string
	Value  int
	To     int
	HostIP string
}

// Mount is a volume mount requested for the task.
type Mount struct {
	TaskPath        string
	HostPath        string
	ReadOnly        bool
	PropagationMode string
	SELinuxLabel    string
	RequestName     string
}

// Device is a host device to expose to the task.
type Device struct {
	TaskPath string
	HostPath string
	// CgroupPermissions is a subset of "rwm".
	CgroupPermissions string
}

// NetworkIsolationMode says which network namespace a task runs in.
type NetworkIsolationMode int

// Network isolation modes, numbered as on the wire.
const (
	NetworkIsolationHost NetworkIsolationMode = iota
	NetworkIsolationGroup
	NetworkIsolationTask
	NetworkIsolationNone
)

// NetworkIsolationSpec is a network namespace prepared for the allocation.
type NetworkIsolationSpec struct {
	Mode NetworkIsolationMode
	// Path is the network namespace file to join.
	Path   string
	Labels map[string]string
	Hosts  *HostsConfig
}

// HostsConfig is the hostname and address for the task's /etc/hosts.
type HostsConfig struct {
	Hostname string
	Address  string
}

// DNSConfig is the task's resolver configuration.
type DNSConfig struct {
	Servers  []string
	Searches []string
	Options  []string
}

// TaskState is the coarse state of a task.
type TaskState int

// Task states, numbered as on the wire.
const (
	TaskStateUnknown TaskState = iota
	TaskStateRunning
	TaskStateExited
)

// TaskHandle is what the agent stores for a started task and hands back to
// RecoverTask unchanged.
type TaskHandle struct {
	// Version is the driver's own DriverState schema version; use ≥ 1.
	Version int
	// Config is the task's configuration (echo StartTask's argument).
	Config *TaskConfig
	State  TaskState
	// DriverState is opaque to Nomad: everything the driver needs to
	// re-attach to the task after a plugin restart.
	DriverState []byte
}

// NetworkOverride tells the agent the address and ports the task really
// listens on, when they differ from the allocation's.
type NetworkOverride struct {
	PortMap       map[string]int
	IP            string
	AutoAdvertise bool
}

// ExitResult is how a task or exec'd command ended.
type ExitResult struct {
	ExitCode int
	// Signal is the signal that killed the process, 0 if it exited.
	Signal    int
	OOMKilled bool
	// Err reports a failure to wait for the task, not a task failure.
	Err error
}

// Successful reports a clean exit.
func (r ExitResult) Successful() bool {
	return r.ExitCode == 0 && r.Signal == 0 && r.Err == nil
}

// TaskStatus is the answer to InspectTask.
type TaskStatus struct {
	ID    string
	Name  string
	State TaskState
	// StartedAt and CompletedAt are zero when not (yet) reached.
	StartedAt   time.Time
	CompletedAt time.Time
	// ExitResult is nil while the task runs.
	ExitResult *ExitResult
	// DriverAttributes are free-form details for operators.
	DriverAttributes map[string]string
	NetworkOverride  *NetworkOverride
}

// TaskEvent is a driver message about a task, shown as a "Driver" task event.
type TaskEvent struct {
	TaskID      string
	AllocID     string
	TaskName    string
	Timestamp   time.Time
	Message     string
	Annotations map[string]string
}
