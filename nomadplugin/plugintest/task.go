package plugintest

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zclconf/go-cty/cty"

	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// TaskOptions describe a task as a job file and the client would.
type TaskOptions struct {
	// Name is the task name; default "task".
	Name string
	// AllocID defaults to a random UUID; Group and Job to "group" and "job".
	AllocID, Group, Job string
	// Config is the body of the task's `config { … }` block in HCL native
	// syntax, without the braces. ${…} references to the task environment
	// (${NOMAD_TASK_DIR}, ${env["PATH"]}, ${node.unique.id}) are
	// interpolated as the agent does.
	Config string
	// Env is the task's `env` block; Meta its `meta` (NOMAD_META_*).
	Env, Meta map[string]string
	// User is the task's `user`.
	User string
	// CPU (MHz, default 100), MemoryMB (default 300) and MemoryMaxMB are
	// the task's resources.
	CPU, MemoryMB, MemoryMaxMB int
	// CpusetCPUs lists reserved cores ("0,1"); empty for none.
	CpusetCPUs string
	// CgroupPath is sent as LinuxResources.cpuset_cgroup. Empty sends what
	// an agent without cgroup support sends: a path that does not exist.
	CgroupPath string
	// DisableLogs sends /dev/null as stdout_path and stderr_path, as for
	// `logs { disabled = true }`; Stdout and Stderr are then nil.
	DisableLogs bool
}

// Task is one task of its own allocation: the directory tree, log FIFOs and
// TaskConfig the client prepares, and the handle StartTask returned.
type Task struct {
	p    *Plugin
	opts TaskOptions

	// AllocDir is the allocation directory; the task directory is
	// AllocDir/<name> with local/, secrets/ and tmp/.
	AllocDir string
	// Stdout and Stderr read the task's log FIFOs.
	Stdout, Stderr *Output
	// Config is the TaskConfig sent to StartTask; Start fills in
	// msgpack_driver_config.
	Config *driverpb.TaskConfig
	// Vars are the variables the config body is decoded with.
	Vars map[string]cty.Value
	// Handle and Network are StartTask's answer (nil before).
	Handle  *driverpb.TaskHandle
	Network *driverpb.NetworkOverride
}

// NewTask prepares a task like the client's task runner does before
// StartTask: it asks for Capabilities (their fs_isolation decides the env
// paths), builds the allocation directory with its log FIFOs and readers,
// and fills the TaskConfig. It fails the test on error.
func (p *Plugin) NewTask(opts TaskOptions) *Task {
	p.t.Helper()
	t, err := p.newTask(opts)
	if err != nil {
		p.t.Fatal(err)
	}
	return t
}

func (p *Plugin) newTask(opts TaskOptions) (*Task, error) {
	setTaskDefaults(&opts)
	caps, err := p.Capabilities()
	if err != nil {
		return nil, err
	}
	root, err := p.allocRoot()
	if err != nil {
		return nil, err
	}
	t := &Task{p: p, opts: opts, AllocDir: filepath.Join(root, opts.AllocID)}
	p.mu.Lock()
	p.tasks = append(p.tasks, t)
	p.mu.Unlock()
	if err := t.makeDirs(); err != nil {
		return nil, err
	}
	stdout, stderr := os.DevNull, os.DevNull
	if !opts.DisableLogs {
		if t.Stdout, err = newOutput(filepath.Join(t.AllocDir, "alloc", "logs", "."+opts.Name+".stdout.fifo")); err != nil {
			return nil, err
		}
		if t.Stderr, err = newOutput(filepath.Join(t.AllocDir, "alloc", "logs", "."+opts.Name+".stderr.fifo")); err != nil {
			return nil, err
		}
		stdout, stderr = t.Stdout.Path(), t.Stderr.Path()
		if err := giveTo(p.opts.Credential, stdout, stderr); err != nil {
			return nil, err
		}
	}
	env := taskEnv(&opts, t.AllocDir, caps.GetFsIsolation())
	const nodeID, nodeName = "3d8cbb84-3b5c-2b83-9446-9ac2b1e7496d", "plugintest"
	t.Vars = evalVariables(env, nodeID, nodeName)
	t.Config = &driverpb.TaskConfig{
		Id:            fmt.Sprintf("%s/%s/%s", opts.AllocID, opts.Name, randomHex(4)),
		Name:          opts.Name,
		Env:           env,
		Resources:     resources(&opts),
		User:          opts.User,
		AllocDir:      t.AllocDir,
		StdoutPath:    stdout,
		StderrPath:    stderr,
		TaskGroupName: opts.Group,
		JobName:       opts.Job,
		JobId:         opts.Job,
		AllocId:       opts.AllocID,
		Namespace:     "default",
		NodeName:      nodeName,
		NodeId:        nodeID,
	}
	return t, nil
}

func setTaskDefaults(o *TaskOptions) {
	if o.Name == "" {
		o.Name = "task"
	}
	if o.AllocID == "" {
		o.AllocID = newUUID()
	}
	if o.Group == "" {
		o.Group = "group"
	}
	if o.Job == "" {
		o.Job = "job"
	}
	if o.CPU == 0 {
		o.CPU = 100
	}
	if o.MemoryMB == 0 {
		o.MemoryMB = 300
	}
	if o.CgroupPath == "" {
		o.CgroupPath = fmt.Sprintf("/sys/fs/cgroup/nomad.slice/%s.%s.scope", o.AllocID, o.Name)
	}
}

// resources are filled as the client does: cpu_shares = cpu, the memory
// limit is the larger of memory and memory_max, PercentTicks relative to
// 1000 MHz per core.
func resources(o *TaskOptions) *driverpb.Resources {
	limit := max(o.MemoryMB, o.MemoryMaxMB)
	return &driverpb.Resources{
		AllocatedResources: &driverpb.AllocatedTaskResources{
			Cpu:    &driverpb.AllocatedCpuResources{CpuShares: int64(o.CPU)},
			Memory: &driverpb.AllocatedMemoryResources{MemoryMb: int64(o.MemoryMB), MemoryMaxMb: int64(o.MemoryMaxMB)},
		},
		LinuxResources: &driverpb.LinuxResources{
			CpuShares:        int64(o.CPU),
			MemoryLimitBytes: int64(limit) * 1024 * 1024,
			CpusetCpus:       o.CpusetCPUs,
			PercentTicks:     float64(o.CPU) / float64(1000*len(nodeTopology().GetCores())),
			CpusetCgroup:     o.CgroupPath,
		},
	}
}

// allocRoot is the directory holding this plugin's allocation directories.
// Unlike t.TempDir it is world-traversable, so tasks running as another
// user can reach their directories.
func (p *Plugin) allocRoot() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.root != "" {
		return p.root, nil
	}
	root, err := os.MkdirTemp("", "plugintest-alloc")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(root, 0o755); err != nil {
		return "", err
	}
	p.root = root
	return root, nil
}

// makeDirs builds the client's layout: alloc/{logs,tmp,data} shared by the
// group's tasks and <task>/{local,secrets,tmp}, world-writable as the client
// makes them so that any task user can write.
func (t *Task) makeDirs() error {
	taskDir := filepath.Join(t.AllocDir, t.opts.Name)
	if err := os.Mkdir(t.AllocDir, 0o755); err != nil {
		return err
	}
	for _, dir := range []string{
		filepath.Join(t.AllocDir, "alloc"),
		filepath.Join(t.AllocDir, "alloc", "logs"),
		filepath.Join(t.AllocDir, "alloc", "tmp"),
		filepath.Join(t.AllocDir, "alloc", "data"),
		taskDir,
		filepath.Join(taskDir, "local"),
		filepath.Join(taskDir, "secrets"),
		filepath.Join(taskDir, "tmp"),
	} {
		if err := os.Mkdir(dir, 0o777); err != nil {
			return err
		}
		// Mkdir's mode is filtered by the umask; the client's is not.
		if err := os.Chmod(dir, 0o777); err != nil {
			return err
		}
		if err := giveTo(t.p.opts.Credential, dir); err != nil {
			return err
		}
	}
	return giveTo(t.p.opts.Credential, t.AllocDir)
}

// ID is the task id, "<alloc>/<task>/<random>".
func (t *Task) ID() string { return t.Config.GetId() }

// TaskDir is AllocDir/<task name>.
func (t *Task) TaskDir() string { return filepath.Join(t.AllocDir, t.opts.Name) }

func (t *Task) closeOutputs() {
	if t.Stdout != nil {
		t.Stdout.close()
		t.Stderr.close()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
