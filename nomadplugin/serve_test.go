package nomadplugin

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// childEnv selects what the re-executed test binary does instead of running
// tests.
const childEnv = "NOMADPLUGIN_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "serve":
		Serve(newFake())
		os.Exit(0)
	case "brokenpipe":
		keepRunningOnBrokenPipe()
		_, err := os.Stderr.Write([]byte("nobody reads this\n"))
		if !errors.Is(err, syscall.EPIPE) {
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Serve speaks go-plugin's handshake and serves both services under the
// plugin set names the agent dispenses.
func TestServeHandshake(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=serve")
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          plugin.PluginSet{BasePluginName: &grpcService{}, DriverPluginName: &grpcService{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.NewNullLogger(),
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{BasePluginName, DriverPluginName} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			t.Fatalf("dispense %s: %v", name, err)
		}
		info, _, err := NewClient(raw.(*grpc.ClientConn)).PluginInfo(t.Context())
		if err != nil || info.Name != "fake" {
			t.Fatalf("PluginInfo via %s: %+v %v", name, info, err)
		}
	}
	if v := client.NegotiatedVersion(); v != 2 {
		t.Fatalf("negotiated protocol %d, want 2", v)
	}
}

// A plugin whose log pipe lost its reader gets EPIPE instead of dying of
// SIGPIPE.
func TestBrokenLogPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=brokenpipe")
	cmd.Stderr = w
	err = cmd.Run()
	w.Close()
	if err != nil {
		t.Fatalf("child: %v (want exit 0 after EPIPE)", err)
	}
}
