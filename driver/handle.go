package driver

import (
	"context"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nsexec"
)

// taskHandle is a running or exited task the driver tracks.
type taskHandle struct {
	cfg   *nomadplugin.TaskConfig
	state driverState
	proc  *nsexec.Process
	// group is the task's cgroup; nil when it runs without one.
	group *cgroup.Group
	// stopSupervisor ends the task's violation supervisor.
	stopSupervisor context.CancelFunc
	limiter        *eventLimiter

	// done is closed once exit and completedAt are set.
	done        chan struct{}
	exit        nomadplugin.ExitResult
	completedAt time.Time

	stats cpuSampler
}

// exited reports whether the task has ended, without blocking.
func (h *taskHandle) exited() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the task's init, which forwards it to the task.
func (h *taskHandle) signal(sig unix.Signal) error {
	if h.proc == nil || h.exited() {
		return os.ErrProcessDone
	}
	return h.proc.Signal(sig)
}

// status renders the task for InspectTask.
func (h *taskHandle) status() *nomadplugin.TaskStatus {
	st := &nomadplugin.TaskStatus{
		ID:        h.cfg.ID,
		Name:      h.cfg.Name,
		State:     nomadplugin.TaskStateRunning,
		StartedAt: h.state.StartedAt,
		DriverAttributes: map[string]string{
			"pid":      itoa(h.state.InitPID),
			"promises": h.state.Spec.Promises.String(),
			"user":     h.state.User.Name,
		},
	}
	if h.exited() {
		res := h.exit
		st.State = nomadplugin.TaskStateExited
		st.CompletedAt = h.completedAt
		st.ExitResult = &res
	}
	return st
}

// taskStore is the driver's table of tasks by id.
type taskStore struct {
	mu    sync.RWMutex
	tasks map[string]*taskHandle
}

func newTaskStore() *taskStore {
	return &taskStore{tasks: map[string]*taskHandle{}}
}

func (s *taskStore) get(id string) *taskHandle {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tasks[id]
}

// add registers h unless a task with its id exists; it reports whether h
// was added.
func (s *taskStore) add(h *taskHandle) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tasks[h.cfg.ID]; ok {
		return false
	}
	s.tasks[h.cfg.ID] = h
	return true
}

func (s *taskStore) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tasks, id)
}
