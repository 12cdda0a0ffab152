// Command testplugin is a minimal Nomad task-driver plugin that plugintest's
// own tests drive. It speaks the wire protocol through the generated gRPC
// stubs directly (not through nomadplugin.Serve), so the harness is checked
// against an independent server. Each task is a re-execution of this binary
// in task mode (see taskmode.go) that prints, sleeps and exits as its task
// config says, and that outlives the plugin process so recovery can be tested.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// taskModeArg selects task mode; see runTask.
const taskModeArg = "__task"

func main() {
	if len(os.Args) == 3 && os.Args[1] == taskModeArg {
		os.Exit(runTask(os.Args[2]))
	}
	// The agent may go away and leave the log pipe without a reader.
	signal.Ignore(syscall.SIGPIPE)
	logger := hclog.New(&hclog.LoggerOptions{Name: "testplugin", JSONFormat: true, Output: os.Stderr, Level: hclog.Debug})
	d := newDriver(logger)
	gp := &grpcPlugin{d: d}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  2,
			MagicCookieKey:   "NOMAD_PLUGIN_MAGIC_COOKIE",
			MagicCookieValue: "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255",
		},
		Plugins:    plugin.PluginSet{"base": gp, "driver": gp},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger:     logger,
	})
}

// grpcPlugin registers both services on go-plugin's server. go-plugin calls
// GRPCServer once per plugin-set entry, so registration happens only once.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	d          *driver
	registered bool
}

func (g *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if g.registered {
		return nil
	}
	g.registered = true
	basepb.RegisterBasePluginServer(s, g.d)
	driverpb.RegisterDriverServer(s, g.d)
	return nil
}

func (g *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, nil
}
