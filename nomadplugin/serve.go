package nomadplugin

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
	pb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// Handshake is the go-plugin handshake shared by Nomad and all its plugins.
// A binary started without the magic cookie in its environment is not being
// run by an agent.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  2,
	MagicCookieKey:   "NOMAD_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255",
}

// Plugin set names under which the agent dispenses the two services.
const (
	BasePluginName   = "base"
	DriverPluginName = "driver"
)

// Logger is the plugin's process-wide logger: hclog JSON lines on the
// process's original stderr, which the agent parses and re-logs under
// client.driver_mgr.<name>. It is bound to the stderr file before Serve
// replaces os.Stderr with go-plugin's forwarding pipe.
var Logger = sync.OnceValue(func() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Output:     os.Stderr,
		JSONFormat: true,
		Level:      hclog.Debug,
	})
})

// Serve runs d as a Nomad driver plugin until the agent stops it. It must be
// called from main of a binary started by the agent (see Handshake); it does
// not return normally.
func Serve(d Driver) {
	log := Logger()
	keepRunningOnBrokenPipe()
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins: plugin.PluginSet{
			BasePluginName:   &grpcService{register: func(s *grpc.Server) { basepb.RegisterBasePluginServer(s, &baseServer{d: d}) }},
			DriverPluginName: &grpcService{register: func(s *grpc.Server) { pb.RegisterDriverServer(s, newDriverServer(d, log)) }},
		},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger:     log,
	})
}

// keepRunningOnBrokenPipe makes writes to a closed stdout/stderr pipe fail
// with EPIPE instead of killing the plugin with SIGPIPE: an agent that dies
// leaves the reattached plugin's log pipes without a reader, and the tasks
// the plugin supervises must not lose it. signal.Notify is used rather than
// signal.Ignore because an ignored disposition is inherited across execve
// and would leak SIGPIPE-ignoring into every task.
func keepRunningOnBrokenPipe() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// grpcService registers one gRPC service on the plugin's shared server. The
// client side hands out the raw connection; callers wrap it with NewClient.
type grpcService struct {
	plugin.NetRPCUnsupportedPlugin
	register func(*grpc.Server)
}

func (p *grpcService) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	p.register(s)
	return nil
}

func (p *grpcService) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return c, nil
}
