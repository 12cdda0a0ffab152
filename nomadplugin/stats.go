package nomadplugin

import "time"

// TaskStats is one resource-usage sample of a task.
type TaskStats struct {
	ID string
	// Timestamp is when the sample was taken; zero means "now" when sent.
	Timestamp time.Time
	Usage     ResourceUsage
	// ByPID is the usage of each process of the task, keyed by pid.
	ByPID map[int]ResourceUsage
}

// ResourceUsage is CPU and memory usage of a task or process.
type ResourceUsage struct {
	CPU    CPUUsage
	Memory MemoryUsage
}

// CPUUsage is CPU usage; Measured says which fields hold real measurements,
// the agent ignores the others.
type CPUUsage struct {
	SystemMode       float64
	UserMode         float64
	TotalTicks       float64
	ThrottledPeriods uint64
	ThrottledTime    uint64
	Percent          float64
	Measured         CPUFields
}

// CPUFields is a set of CPUUsage fields.
type CPUFields uint8

// CPUUsage fields; bit i is wire enum value i.
const (
	CPUSystemMode CPUFields = 1 << iota
	CPUUserMode
	CPUTotalTicks
	CPUThrottledPeriods
	CPUThrottledTime
	CPUPercent
)

// MemoryUsage is memory usage in bytes; Measured says which fields hold
// real measurements.
type MemoryUsage struct {
	RSS            uint64
	Cache          uint64
	MaxUsage       uint64
	KernelUsage    uint64
	KernelMaxUsage uint64
	Usage          uint64
	Swap           uint64
	Measured       MemoryFields
}

// MemoryFields is a set of MemoryUsage fields.
type MemoryFields uint8

// MemoryUsage fields; bit i is wire enum value i.
const (
	MemoryRSS MemoryFields = 1 << iota
	MemoryCache
	MemoryMaxUsage
	MemoryKernelUsage
	MemoryKernelMaxUsage
	MemoryUsageField
	MemorySwap
)
