package nomadplugin

// FSIsolation is how the driver isolates a task's file system; it decides
// which paths the agent puts into the task environment.
type FSIsolation int

// File system isolation kinds, numbered as on the wire.
const (
	FSIsolationNone FSIsolation = iota
	FSIsolationChroot
	FSIsolationImage
	// FSIsolationUnveil: the task sees the host file system restricted to
	// unveiled paths, so the agent hands out host paths.
	FSIsolationUnveil
)

// MountConfigs says whether the driver supports volume mounts.
type MountConfigs int

// Mount support, numbered as on the wire.
const (
	MountsAny MountConfigs = iota
	MountsNone
)

// Capabilities tell the agent what the driver supports.
type Capabilities struct {
	SendSignals bool
	// Exec allows `nomad alloc exec` and script checks.
	Exec        bool
	FSIsolation FSIsolation
	// NetworkIsolationModes lists supported modes besides host, which is
	// always allowed.
	NetworkIsolationModes []NetworkIsolationMode
	// MustCreateNetwork makes the agent call the driver's NetworkCreator.
	MustCreateNetwork bool
	MountConfigs      MountConfigs
	// DisableLogCollection: the agent starts no log collector, so the
	// driver must not open the log FIFOs.
	DisableLogCollection bool
	// DynamicWorkloadUsers: the driver can run tasks as agent-allocated
	// uids.
	DynamicWorkloadUsers bool
}
