package plugintest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/hclspec"
	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// Options configure how the plugin is launched.
type Options struct {
	// Args are extra command-line arguments (the plugin block's `args`).
	Args []string
	// Config is the body of the agent's `plugin "<name>" { config { … } }`
	// block in HCL native syntax, without the braces; empty means no
	// block. It is decoded with the plugin's ConfigSchema like the agent
	// does, without variables.
	Config string
	// Env is added to the plugin's environment (KEY=VALUE), on top of the
	// test process's own, as if the agent had been started with it.
	Env []string
	// Timeout bounds the start of each plugin process and each unary RPC
	// except WaitTask; 0 means 30 s.
	Timeout time.Duration
	// Credential, when set, launches the plugin as that uid, gid and
	// supplementary groups, like an agent running as that user (the test
	// must run as root). The harness then gives the user what such an
	// agent would own: the plugin's TMPDIR and every allocation directory
	// and log FIFO it creates; XDG_RUNTIME_DIR is not passed on, since it
	// belongs to the test's user. The binary must be executable by the
	// user (Build makes its directories world-traversable). Nil launches
	// the plugin as the test's own user.
	Credential *syscall.Credential
}

// Plugin is a plugin binary driven like a Nomad agent drives it. Its methods
// are safe for concurrent use.
type Plugin struct {
	t      testing.TB
	binary string
	opts   Options
	tmpDir string
	log    *logSink

	// Set by the fingerprint launch.
	info       *basepb.PluginInfoResponse
	apiVersion string
	configSpec *basepb.ConfigSchemaResponse
	config     []byte

	// Fingerprints and Events are the runtime instance's Fingerprint and
	// TaskEvents streams; they are re-opened after Relaunch and keep
	// everything received across launches.
	Fingerprints *Stream[*driverpb.FingerprintResponse]
	Events       *Stream[*driverpb.DriverTaskEvent]

	mu    sync.Mutex
	proc  *process
	tasks []*Task
	root  string // alloc dirs, see NewTask
}

// MustLaunch is Launch that fails the test on error.
func MustLaunch(t testing.TB, binary string, opts Options) *Plugin {
	t.Helper()
	p, err := Launch(t, binary, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Launch performs the agent's three launches of binary: fingerprint
// (PluginInfo, ConfigSchema; type, API version and version checked as the
// agent does), validation (SetConfig twice without agent settings) and
// runtime (SetConfig with agent settings, Init, Fingerprint and TaskEvents
// streams). It returns once the runtime instance sent its first
// fingerprint. Everything is torn down in t.Cleanup.
func Launch(t testing.TB, binary string, opts Options) (*Plugin, error) {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	tmp, err := os.MkdirTemp("", "plugintest")
	if err != nil {
		return nil, err
	}
	if err := giveTo(opts.Credential, tmp); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	p := &Plugin{
		t: t, binary: binary, opts: opts, tmpDir: tmp,
		log:          &logSink{t: t},
		Fingerprints: newStream[*driverpb.FingerprintResponse]("Fingerprint"),
		Events:       newStream[*driverpb.DriverTaskEvent]("TaskEvents"),
	}
	t.Cleanup(p.cleanup)
	if err := p.fingerprintLaunch(); err != nil {
		return nil, err
	}
	if err := p.validationLaunch(); err != nil {
		return nil, err
	}
	return p, p.Relaunch()
}

// fingerprintLaunch is the agent's first launch: identify the plugin and
// encode its agent configuration.
func (p *Plugin) fingerprintLaunch() error {
	proc, err := startProcess(p.binary, &p.opts, p.tmpDir, p.log, "fingerprint")
	if err != nil {
		return err
	}
	defer proc.stop(false)
	ctx, cancel := p.rpcContext()
	defer cancel()
	info, err := proc.base.PluginInfo(ctx, &basepb.PluginInfoRequest{})
	if err != nil {
		return rpcError("PluginInfo", err)
	}
	name := strings.TrimSuffix(filepath.Base(p.binary), ".exe")
	if p.apiVersion, err = checkInfo(info, name); err != nil {
		return err
	}
	p.info = info
	schema, err := proc.base.ConfigSchema(ctx, &basepb.ConfigSchemaRequest{})
	if err != nil {
		return rpcError("ConfigSchema", err)
	}
	p.configSpec = schema
	return p.encodeAgentConfig()
}

// encodeAgentConfig encodes Options.Config with the ConfigSchema spec and no
// variables. A plugin without a spec accepts no config block.
func (p *Plugin) encodeAgentConfig() error {
	spec := p.configSpec.GetSpec()
	if spec == nil {
		if strings.TrimSpace(p.opts.Config) != "" {
			return errors.New("the plugin has no ConfigSchema spec but Options.Config is set; the agent rejects a config block then")
		}
		return nil
	}
	raw, err := hclspec.EncodeHCLSpec(spec, p.opts.Config, map[string]cty.Value{})
	if err != nil {
		return fmt.Errorf("plugin config: %w", err)
	}
	p.config = raw
	return nil
}

// validationLaunch is the agent's second launch: SetConfig twice without
// nomad_config, as a real agent does.
func (p *Plugin) validationLaunch() error {
	proc, err := startProcess(p.binary, &p.opts, p.tmpDir, p.log, "validate")
	if err != nil {
		return err
	}
	defer proc.stop(false)
	for range 2 {
		ctx, cancel := p.rpcContext()
		_, err := proc.base.SetConfig(ctx, &basepb.SetConfigRequest{MsgpackConfig: p.config, PluginApiVersion: p.apiVersion})
		cancel()
		if err != nil {
			return rpcError("SetConfig", err)
		}
	}
	return nil
}

// Relaunch starts a new runtime instance, as the agent does when its plugin
// died: SetConfig with agent settings, Init (Unimplemented is accepted),
// then the Fingerprint and TaskEvents streams, and waits for the first new
// fingerprint. A still-running previous instance is stopped first.
func (p *Plugin) Relaunch() error {
	p.mu.Lock()
	old := p.proc
	p.proc = nil
	p.mu.Unlock()
	if old != nil {
		old.stop(true)
	}
	proc, err := startProcess(p.binary, &p.opts, p.tmpDir, p.log, "runtime")
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.proc = proc
	p.mu.Unlock()
	ctx, cancel := p.rpcContext()
	defer cancel()
	_, err = proc.base.SetConfig(ctx, &basepb.SetConfigRequest{
		MsgpackConfig:    p.config,
		PluginApiVersion: p.apiVersion,
		NomadConfig: &basepb.NomadConfig{Driver: &basepb.NomadDriverConfig{
			ClientMinPort: clientMinPort,
			ClientMaxPort: clientMaxPort,
			Topology:      nodeTopology(),
		}},
	})
	if err != nil {
		return rpcError("SetConfig", err)
	}
	if _, err := proc.driver.Init(ctx, &driverpb.InitRequest{}); err != nil && status.Code(err) != codes.Unimplemented {
		return rpcError("Init", err)
	}
	seen := p.Fingerprints.Len()
	if err := p.openStreams(proc); err != nil {
		return err
	}
	_, err = p.Fingerprints.Wait(seen, p.opts.Timeout, nil)
	return err
}

// openStreams opens Fingerprint and TaskEvents concurrently on proc, as
// the agent's fingerprint and event loops do, and waits for TaskEvents'
// response headers: opening a stream returns before the plugin's handler
// runs, and the plugin sends them once the stream is subscribed, so no
// event of a task started after Launch or Relaunch is lost (a plugin drops
// events published while no stream is subscribed).
func (p *Plugin) openStreams(proc *process) error {
	fp, err := proc.driver.Fingerprint(proc.ctx, &driverpb.FingerprintRequest{})
	if err != nil {
		return rpcError("Fingerprint", err)
	}
	ev, err := proc.driver.TaskEvents(proc.ctx, &driverpb.TaskEventsRequest{})
	if err != nil {
		return rpcError("TaskEvents", err)
	}
	if err := waitSubscribed(ev, p.opts.Timeout); err != nil {
		return err
	}
	go p.Fingerprints.pump(fp.Recv)
	go p.Events.pump(ev.Recv)
	return nil
}

// waitSubscribed returns once the plugin sent ev's response headers, or
// an error if it did not within timeout.
func waitSubscribed(ev grpc.ClientStream, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() {
		_, err := ev.Header()
		done <- err
	}()
	select {
	case err := <-done:
		return rpcError("TaskEvents", err)
	case <-time.After(timeout):
		return fmt.Errorf("TaskEvents: no response headers within %v: the plugin must send them once the stream is subscribed (stream.SendHeader)", timeout)
	}
}

// nodeTopology describes this machine as one NUMA node with one socket, the
// shape a single-socket agent sends.
func nodeTopology() *basepb.ClientTopology {
	topo := &basepb.ClientTopology{
		NodeIds:   []uint32{0},
		Distances: &basepb.ClientTopologySLIT{Dimension: 1, Values: []uint32{10}},
	}
	for i := range runtime.NumCPU() {
		topo.Cores = append(topo.Cores, &basepb.ClientTopologyCore{CoreId: uint32(i), GuessSpeed: 1000})
	}
	return topo
}

func (p *Plugin) rpcContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), p.opts.Timeout)
}

// current is the runtime instance; an error when it was killed and not
// relaunched.
func (p *Plugin) current() (*process, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return nil, errors.New("the plugin is not running; call Relaunch")
	}
	return p.proc, nil
}

// Info is the PluginInfo answer of the fingerprint launch.
func (p *Plugin) Info() *basepb.PluginInfoResponse { return p.info }

// APIVersion is the plugin's own spelling of the API version the agent
// chose, as sent in SetConfig.
func (p *Plugin) APIVersion() string { return p.apiVersion }

// AgentConfig is the msgpack_config sent in SetConfig (nil when the plugin
// has no ConfigSchema).
func (p *Plugin) AgentConfig() []byte { return p.config }

// Log is everything all launches of the plugin wrote to stderr.
func (p *Plugin) Log() string { return p.log.String() }

// PID is the runtime instance's process id, 0 when it is not running.
func (p *Plugin) PID() int {
	proc, err := p.current()
	if err != nil {
		return 0
	}
	return proc.pid()
}

// Conn is the runtime instance's gRPC connection, e.g. for
// nomadplugin.NewClient or calls the harness does not wrap.
func (p *Plugin) Conn() (*grpc.ClientConn, error) {
	proc, err := p.current()
	if err != nil {
		return nil, err
	}
	return proc.conn, nil
}

// Driver and Base are the generated clients on the runtime instance; nil
// while it is not running.
func (p *Plugin) Driver() driverpb.DriverClient {
	proc, err := p.current()
	if err != nil {
		return nil
	}
	return proc.driver
}

// Base is the BasePlugin client on the runtime instance; see Driver.
func (p *Plugin) Base() basepb.BasePluginClient {
	proc, err := p.current()
	if err != nil {
		return nil
	}
	return proc.base
}

// Kill SIGKILLs the runtime instance, as if the plugin crashed. Tasks keep
// running (if the driver is any good); Relaunch and Task.Recover bring them
// back as the agent would.
func (p *Plugin) Kill() error {
	p.mu.Lock()
	proc := p.proc
	p.proc = nil
	p.mu.Unlock()
	if proc == nil {
		return errors.New("the plugin is not running")
	}
	return proc.kill9(p.opts.Timeout)
}

// cleanup destroys every started task with force, stops the plugin like an
// agent stopping, and stops the log readers.
func (p *Plugin) cleanup() {
	p.mu.Lock()
	tasks := append([]*Task(nil), p.tasks...)
	p.mu.Unlock()
	for _, task := range tasks {
		if task.Handle != nil {
			if err := task.Destroy(true); err != nil {
				p.t.Logf("cleanup: destroying task %s: %v", task.ID(), err)
			}
		}
	}
	p.mu.Lock()
	proc := p.proc
	p.proc = nil
	p.mu.Unlock()
	if proc != nil {
		proc.stop(true)
	}
	for _, task := range tasks {
		task.closeOutputs()
	}
	p.log.close()
	_ = os.RemoveAll(p.tmpDir)
	if p.root != "" {
		_ = os.RemoveAll(p.root)
	}
}
