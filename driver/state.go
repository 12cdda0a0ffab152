package driver

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox/supervisor"
)

// driverState is the task handle's driver_state: everything RecoverTask
// needs, because the agent hands back the task config without its driver
// config. JSON is fine here: it is written once per start and read once per
// recovery, never on the shim's path.
type driverState struct {
	// Spec is the validated task config; exec sessions use its promises
	// and unveils.
	Spec taskSpec `json:"spec"`
	User identity `json:"user"`
	// InitPID and InitStartTime identify the task's init; a pid whose
	// start time differs was reused and is never adopted.
	InitPID       int    `json:"init_pid"`
	InitStartTime uint64 `json:"init_start_time"`
	// StatusPath is the driver-owned file init records the exit status in.
	StatusPath string `json:"status_path"`
	// Cgroup is nil when the task runs without a cgroup.
	Cgroup *cgroup.State `json:"cgroup,omitempty"`
	// OwnCgroup: the driver created the cgroup, or some of its directories
	// (the v1 cpuacct and pids ones Nomad does not make), and removes those
	// on destroy.
	OwnCgroup bool      `json:"own_cgroup,omitempty"`
	StartedAt time.Time `json:"started_at"`
	// Rootless: the task runs in a user namespace as the agent's user.
	Rootless bool `json:"rootless,omitempty"`
	// ListenerFD is the fd at which the task's init holds a copy of the
	// task's seccomp listener (nsexec.HeldFD), for a restarted plugin to
	// fetch and serve; 0 when init holds none.
	ListenerFD int `json:"listener_fd,omitempty"`
	// Filter describes the task's seccomp filter as the shim handed it
	// over (supervisor.HandoffPayload): what serving the listener needs.
	// Set exactly when ListenerFD is.
	Filter string `json:"filter,omitempty"`
}

func (s *driverState) encode() ([]byte, error) {
	return json.Marshal(s)
}

// decodeDriverState reads a handle's driver_state of the given version.
func decodeDriverState(version int, b []byte) (*driverState, error) {
	if version != handleVersion {
		return nil, fmt.Errorf("driver_state version %d: this driver reads version %d; the task was started by an incompatible driver build", version, handleVersion)
	}
	if len(b) == 0 {
		return nil, errors.New("driver_state is empty: the handle was not written by this driver")
	}
	var s driverState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("driver_state: %w", err)
	}
	if s.InitPID <= 0 || s.InitStartTime == 0 || s.StatusPath == "" {
		return nil, fmt.Errorf("driver_state: init pid %d, start time %d, status path %q: all are required to reattach", s.InitPID, s.InitStartTime, s.StatusPath)
	}
	if s.Spec.Importance < importanceLowest || s.Spec.Importance > importanceHighest {
		return nil, fmt.Errorf("driver_state: importance %d is outside %d-%d", s.Spec.Importance, importanceLowest, importanceHighest)
	}
	if s.Spec.Penalty != promises.PenaltyEPERM && s.Spec.Penalty != promises.PenaltyKill {
		return nil, fmt.Errorf("driver_state: penalty %d is neither eperm nor kill", s.Spec.Penalty)
	}
	if err := s.checkListener(); err != nil {
		return nil, fmt.Errorf("driver_state: %w", err)
	}
	return &s, nil
}

// checkListener accepts a listener fd with a filter description that
// decodes, or neither.
func (s *driverState) checkListener() error {
	switch {
	case s.ListenerFD < 0:
		return fmt.Errorf("listener_fd %d is negative", s.ListenerFD)
	case s.ListenerFD == 0 && s.Filter != "":
		return errors.New("filter is set without listener_fd")
	case s.ListenerFD == 0:
		return nil
	}
	if _, err := supervisor.ParseHandoffPayload([]byte(s.Filter)); err != nil {
		return fmt.Errorf("filter of listener_fd %d: %w", s.ListenerFD, err)
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
