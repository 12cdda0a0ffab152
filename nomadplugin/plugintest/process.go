package plugintest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// process is one launch of the plugin binary.
type process struct {
	client *plugin.Client
	cmd    *exec.Cmd
	conn   *grpc.ClientConn
	base   basepb.BasePluginClient
	driver driverpb.DriverClient
	// cancel ends the streams opened on this process.
	cancel context.CancelFunc
	ctx    context.Context
}

// startProcess launches the binary like the agent's plugin loader: go-plugin
// client, Nomad's handshake, gRPC only, no TLS; the plugin's stderr goes to
// sink. tmpDir becomes the plugin's TMPDIR, where go-plugin puts its socket.
func startProcess(binary string, opts *Options, tmpDir string, sink *logSink, role string) (*process, error) {
	cmd := exec.Command(binary, opts.Args...)
	cmd.Env = pluginEnv(tmpDir, opts.Env, opts.Credential != nil)
	if opts.Credential != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: opts.Credential}
	}
	log := sink.process(role)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          plugin.PluginSet{basePluginName: connPlugin{}, driverPluginName: connPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		// The agent copies its own environment; pluginEnv already did.
		SkipHostEnv:  true,
		StartTimeout: opts.Timeout,
		Stderr:       log,
		// Raw stderr lines reach the test log through sink; go-plugin's
		// re-logging of them would only duplicate every line.
		Logger: hclog.New(&hclog.LoggerOptions{Name: "plugintest", Level: hclog.Off}),
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("launching %s (%s launch): %w", binary, role, err)
	}
	log.setPrefix(fmt.Sprintf("%s[%d]", role, cmd.Process.Pid))
	raw, err := rpc.Dispense(driverPluginName)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("dispensing %q from %s: %w", driverPluginName, binary, err)
	}
	conn := raw.(*grpc.ClientConn)
	ctx, cancel := context.WithCancel(context.Background())
	return &process{
		client: client,
		cmd:    cmd,
		conn:   conn,
		base:   basepb.NewBasePluginClient(conn),
		driver: driverpb.NewDriverClient(conn),
		ctx:    ctx,
		cancel: cancel,
	}, nil
}

// pluginEnv is the agent's environment as a plugin sees it (go-plugin adds
// the handshake variables), with TMPDIR pointing into the test's directory
// so that sockets left by killed plugins are removed with it. For a plugin
// launched as another user (otherUser) the test user's XDG_RUNTIME_DIR is
// left out: it is not that user's.
func pluginEnv(tmpDir string, extra []string, otherUser bool) []string {
	env := make([]string, 0, len(os.Environ())+len(extra)+1)
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TMPDIR=") || otherUser && strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TMPDIR="+tmpDir)
	return append(env, extra...)
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stop ends the process the way the agent stops a plugin: Driver/Shutdown
// (best effort, 2 s; Unimplemented is fine), then go-plugin's Kill, which
// asks the plugin to exit over GRPCController and kills it if it does not.
func (p *process) stop(shutdown bool) {
	p.cancel()
	if shutdown && !p.client.Exited() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = p.driver.Shutdown(ctx, &driverpb.ShutdownRequest{})
		cancel()
	}
	p.client.Kill()
}

// kill9 SIGKILLs the plugin process (only the process this harness started)
// and waits until go-plugin has seen it exit.
func (p *process) kill9(timeout time.Duration) error {
	p.cancel()
	if err := p.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("killing plugin pid %d: %w", p.pid(), err)
	}
	deadline := time.Now().Add(timeout)
	for !p.client.Exited() {
		if time.Now().After(deadline) {
			return fmt.Errorf("plugin pid %d still running %v after SIGKILL", p.pid(), timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.client.Kill()
	return nil
}

// giveTo makes cred's user the owner of paths (not following symlinks), as
// if an agent running as that user had created them; nil cred changes
// nothing.
func giveTo(cred *syscall.Credential, paths ...string) error {
	if cred == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Lchown(p, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("giving %s to uid %d (Options.Credential): %w", p, cred.Uid, err)
		}
	}
	return nil
}
