package main

import (
	"context"
	"os"

	"github.com/zclconf/go-cty/cty/gocty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
)

// infoTypeEnv overrides the reported plugin type ("DEVICE"), so tests can
// check that the harness rejects what an agent rejects.
const infoTypeEnv = "TESTPLUGIN_TYPE"

func (d *driver) PluginInfo(context.Context, *basepb.PluginInfoRequest) (*basepb.PluginInfoResponse, error) {
	journal("PluginInfo")
	typ := basepb.PluginType_DRIVER
	if v, ok := basepb.PluginType_value[os.Getenv(infoTypeEnv)]; ok {
		typ = basepb.PluginType(v)
	}
	return &basepb.PluginInfoResponse{
		Type:              typ,
		PluginApiVersions: []string{"v0.1.0"},
		PluginVersion:     "0.1.0",
		Name:              "testplugin",
	}, nil
}

func (d *driver) ConfigSchema(context.Context, *basepb.ConfigSchemaRequest) (*basepb.ConfigSchemaResponse, error) {
	journal("ConfigSchema")
	return &basepb.ConfigSchemaResponse{Spec: pluginConfigSpec()}, nil
}

func (d *driver) SetConfig(_ context.Context, req *basepb.SetConfigRequest) (*basepb.SetConfigResponse, error) {
	journal("SetConfig nomad_config=%t api=%s min_port=%d", req.GetNomadConfig() != nil,
		req.GetPluginApiVersion(), req.GetNomadConfig().GetDriver().GetClientMinPort())
	val, err := ctymsgpack.Unmarshal(req.GetMsgpackConfig(), pluginConfigType)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "decoding plugin config: %v", err)
	}
	var cfg pluginConfig
	if err := gocty.FromCtyValue(val, &cfg); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "decoding plugin config: %v", err)
	}
	d.mu.Lock()
	d.config = cfg
	d.mu.Unlock()
	return &basepb.SetConfigResponse{}, nil
}
