package plugintest

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// handshake is the agent's side of Nomad's go-plugin handshake. It is written
// out here rather than shared with the plugin side so that a wrong value in a
// plugin cannot be masked by the same wrong value in the harness.
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  2,
	MagicCookieKey:   "NOMAD_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255",
}

// Plugin-set names the agent dispenses.
const (
	basePluginName   = "base"
	driverPluginName = "driver"
)

// The agent's dynamic port range, sent in the runtime SetConfig.
const (
	clientMinPort = 14000
	clientMaxPort = 14512
)

// connPlugin hands out go-plugin's raw gRPC connection, on which the harness
// builds the generated BasePlugin and Driver clients.
type connPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (connPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }

func (connPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return conn, nil
}
