package nomadplugin

import (
	"context"

	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
)

// baseServer serves the BasePlugin service: identity and agent-level config.
type baseServer struct {
	basepb.UnimplementedBasePluginServer
	d Driver
}

func (s *baseServer) PluginInfo(context.Context, *basepb.PluginInfoRequest) (*basepb.PluginInfoResponse, error) {
	return pluginInfoToProto(s.d.PluginInfo()), nil
}

func (s *baseServer) ConfigSchema(context.Context, *basepb.ConfigSchemaRequest) (*basepb.ConfigSchemaResponse, error) {
	return &basepb.ConfigSchemaResponse{Spec: s.d.ConfigSchema().Proto()}, nil
}

func (s *baseServer) SetConfig(_ context.Context, req *basepb.SetConfigRequest) (*basepb.SetConfigResponse, error) {
	if err := s.d.SetConfig(req.GetMsgpackConfig(), agentConfigFromProto(req)); err != nil {
		return nil, statusError(err)
	}
	return &basepb.SetConfigResponse{}, nil
}
