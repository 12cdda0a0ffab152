package promises

// Set is a set of promises; bit i is promise i in the reference's bit order.
type Set uint32

// Penalty is what a denied syscall gets.
type Penalty int

// Penalties.
const (
	PenaltyEPERM Penalty = iota
	PenaltyKill
	PenaltyNotify
)
