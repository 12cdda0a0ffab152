package cgroup

// Mode is the cgroup layout of a host as Nomad's client sees it. Its value
// is the string the driver reports in the driver.pledge.cgroup attribute.
type Mode string

const (
	// ModeNone means no usable cgroup hierarchy at /sys/fs/cgroup; tasks run
	// without a group and without limits.
	ModeNone Mode = "none"
	// ModeV1 means a tmpfs at /sys/fs/cgroup with one cgroup v1 mount per
	// controller (or per co-mounted set), as on hybrid hosts. A cgroup2 mount
	// at /sys/fs/cgroup/unified is ignored, as Nomad ignores it.
	ModeV1 Mode = "v1"
	// ModeV2 means the unified cgroup2 hierarchy is mounted at /sys/fs/cgroup.
	ModeV2 Mode = "v2"
)
