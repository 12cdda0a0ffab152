package driver

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
)

// defaultPromises apply when a job leaves promises empty, as in the old
// driver.
const defaultPromises = "stdio rpath"

// taskSpec is a task config after validation against the operator policy:
// everything the driver needs to sandbox the task, in resolved form. It is
// kept in driver_state, so exec sessions after a plugin restart get the same
// sandbox as the task.
type taskSpec struct {
	Command    string           `json:"command"`
	Args       []string         `json:"args,omitempty"`
	Promises   promises.Set     `json:"promises"`
	Unveils    []sandbox.Unveil `json:"unveils,omitempty"`
	Importance importance       `json:"importance"`
	Penalty    promises.Penalty `json:"penalty"`
	HostPID    bool             `json:"host_pid,omitempty"`
	HostIPC    bool             `json:"host_ipc,omitempty"`
	WorkDir    string           `json:"work_dir"`
	Caps       uint64           `json:"caps,omitempty"`
	Rlimits    []rlimitSetting  `json:"rlimits,omitempty"`
}

// parseTaskConfig validates every field of c and checks it against the
// operator policy. It runs before anything is created for the task, so a bad
// job never leaves a cgroup or process behind. taskDir is the default working
// directory.
func parseTaskConfig(c *TaskConfig, op *operatorPolicy, taskDir string) (*taskSpec, error) {
	s := &taskSpec{Command: c.Command, Args: c.Args}
	steps := []func(*TaskConfig, *operatorPolicy, *taskSpec) error{
		checkCommand, checkPromises, checkUnveils, checkImportance, checkPenalty,
		checkNamespaces, checkCaps, checkRlimits,
	}
	for _, step := range steps {
		if err := step(c, op, s); err != nil {
			return nil, fmt.Errorf("task config: %w", err)
		}
	}
	if err := checkWorkDir(c, taskDir, s); err != nil {
		return nil, fmt.Errorf("task config: %w", err)
	}
	return s, nil
}

func checkCommand(c *TaskConfig, _ *operatorPolicy, _ *taskSpec) error {
	if strings.TrimSpace(c.Command) == "" {
		return errors.New(`command: required; set it to a program path or a name on $PATH, e.g. command = "sleep"`)
	}
	return nil
}

func checkPromises(c *TaskConfig, op *operatorPolicy, s *taskSpec) error {
	text := c.Promises
	if strings.TrimSpace(text) == "" {
		text = defaultPromises
	}
	set, err := promises.Parse(text)
	if err != nil {
		return fmt.Errorf("promises: %w", err)
	}
	if extra := set &^ op.Promises; extra != 0 {
		return fmt.Errorf("promises: %q not allowed by the operator (plugin config allowed_promises = %q)", extra.String(), op.Promises.String())
	}
	s.Promises = set
	return nil
}

func checkUnveils(c *TaskConfig, op *operatorPolicy, s *taskSpec) error {
	for _, text := range c.Unveil {
		u, err := parseJobUnveil(text)
		if err != nil {
			return err
		}
		if err := op.checkUnveil(u.Path); err != nil {
			return fmt.Errorf("unveil %q: %w", text, err)
		}
		s.Unveils = append(s.Unveils, u)
	}
	return nil
}

// parseJobUnveil reads one "PERM:PATH" entry. Unlike the command line, a job
// must name an absolute path: a relative one would depend on the working
// directory the operator cannot see in the job.
func parseJobUnveil(text string) (sandbox.Unveil, error) {
	u, err := sandbox.ParseUnveil(text)
	if err != nil {
		return u, fmt.Errorf("unveil %q: %w; entries look like \"r:/etc/ssl\" or \"rwc:${NOMAD_TASK_DIR}\"", text, err)
	}
	if !filepath.IsAbs(u.Path) {
		return u, fmt.Errorf("unveil %q: path must be absolute (use ${NOMAD_TASK_DIR} or ${NOMAD_ALLOC_DIR} for task files)", text)
	}
	return u, nil
}

// checkUnveil requires path, and what its symlinks point to, to lie under
// one of the operator's prefixes: the sandbox follows symlinks when it
// unveils, so checking the spelling alone would let a job unveil /etc/shadow
// through a link in its task directory.
func (op *operatorPolicy) checkUnveil(path string) error {
	if len(op.UnveilPrefixes) == 0 {
		return nil
	}
	candidates := []string{filepath.Clean(path)}
	resolved, err := filepath.EvalSymlinks(path)
	switch {
	case err == nil:
		candidates = append(candidates, resolved)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("resolve %s: %w", path, err)
	}
	for _, p := range candidates {
		if !op.unveilAllowed(p) {
			return fmt.Errorf("%s is outside the operator's allowed_unveil prefixes %s", p, strings.Join(op.UnveilPrefixes, ", "))
		}
	}
	return nil
}

func (op *operatorPolicy) unveilAllowed(path string) bool {
	for _, prefix := range op.UnveilPrefixes {
		if prefix == "/" || path == prefix || strings.HasPrefix(path, prefix+"/") {
			return true
		}
	}
	return false
}

func checkImportance(c *TaskConfig, _ *operatorPolicy, s *taskSpec) error {
	imp, err := parseImportance(c.Importance)
	s.Importance = imp
	return err
}

func checkPenalty(c *TaskConfig, _ *operatorPolicy, s *taskSpec) error {
	switch strings.ToLower(c.Penalty) {
	case "", "eperm":
		s.Penalty = promises.PenaltyEPERM
	case "kill":
		s.Penalty = promises.PenaltyKill
	default:
		return fmt.Errorf("penalty %q: accepted values are eperm, kill", c.Penalty)
	}
	return nil
}

func checkNamespaces(c *TaskConfig, _ *operatorPolicy, s *taskSpec) error {
	var err error
	if s.HostPID, err = parseNamespaceMode("pid_mode", c.PIDMode); err != nil {
		return err
	}
	s.HostIPC, err = parseNamespaceMode("ipc_mode", c.IPCMode)
	return err
}

// parseNamespaceMode reports whether mode asks for the host's namespace.
func parseNamespaceMode(field, mode string) (bool, error) {
	switch strings.ToLower(mode) {
	case "", "private":
		return false, nil
	case "host":
		return true, nil
	}
	return false, fmt.Errorf("%s %q: accepted values are private, host", field, mode)
}

func checkCaps(c *TaskConfig, op *operatorPolicy, s *taskSpec) error {
	for _, name := range c.CapAdd {
		n, err := sandbox.ParseCapability(name)
		if err != nil {
			return fmt.Errorf("cap_add: %w", err)
		}
		if op.Caps&(1<<n) == 0 {
			return fmt.Errorf("cap_add %q: not allowed by the operator (plugin config allowed_caps = %s)", name, capNames(op.Caps))
		}
		s.Caps |= 1 << n
	}
	return nil
}

// capNames renders a capability set for messages.
func capNames(set uint64) string {
	var names []string
	for i := 0; i < 64; i++ {
		if set&(1<<i) != 0 {
			names = append(names, strings.ToLower(strings.TrimPrefix(sandbox.CapabilityName(i), "CAP_")))
		}
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func checkRlimits(c *TaskConfig, _ *operatorPolicy, s *taskSpec) error {
	var err error
	s.Rlimits, err = parseRlimits(c.Rlimits)
	return err
}

func checkWorkDir(c *TaskConfig, taskDir string, s *taskSpec) error {
	s.WorkDir = c.WorkDir
	if s.WorkDir == "" {
		s.WorkDir = taskDir
	}
	if !filepath.IsAbs(s.WorkDir) {
		return fmt.Errorf("work_dir %q: must be an absolute path", c.WorkDir)
	}
	return nil
}
