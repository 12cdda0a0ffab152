package plugintest

import (
	"strings"
	"testing"

	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
)

func TestCheckInfo(t *testing.T) {
	ok := func() *basepb.PluginInfoResponse {
		return &basepb.PluginInfoResponse{Type: basepb.PluginType_DRIVER, PluginApiVersions: []string{"v0.1.0"}, PluginVersion: "0.1.0", Name: "pledge"}
	}
	tests := []struct {
		name    string
		edit    func(*basepb.PluginInfoResponse)
		wantAPI string
		wantErr string
	}{
		{"valid", func(*basepb.PluginInfoResponse) {}, "v0.1.0", ""},
		{"api spelled without v", func(i *basepb.PluginInfoResponse) { i.PluginApiVersions = []string{"0.1.0"} }, "0.1.0", ""},
		{"api among others", func(i *basepb.PluginInfoResponse) { i.PluginApiVersions = []string{"v0.2.0", "v0.1"} }, "v0.1", ""},
		{"device", func(i *basepb.PluginInfoResponse) { i.Type = basepb.PluginType_DEVICE }, "", "DRIVER"},
		{"unknown type", func(i *basepb.PluginInfoResponse) { i.Type = basepb.PluginType_UNKNOWN }, "", "DRIVER"},
		{"no api overlap", func(i *basepb.PluginInfoResponse) { i.PluginApiVersions = []string{"v0.2.0"} }, "", "v0.1.0"},
		{"bad version", func(i *basepb.PluginInfoResponse) { i.PluginVersion = "latest" }, "", "plugin_version"},
		{"prerelease version", func(i *basepb.PluginInfoResponse) { i.PluginVersion = "1.2.3-dev+abc" }, "v0.1.0", ""},
		{"name differs from file", func(i *basepb.PluginInfoResponse) { i.Name = "other" }, "", "file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := ok()
			tt.edit(info)
			api, err := checkInfo(info, "pledge")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("checkInfo: %v, want error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || api != tt.wantAPI {
				t.Fatalf("checkInfo = %q, %v; want %q", api, err, tt.wantAPI)
			}
		})
	}
}

func TestSameVersion(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"v0.1.0", "v0.1.0", true},
		{"0.1.0", "v0.1.0", true},
		{"v0.1", "v0.1.0", true},
		{"v0.1.0+meta", "v0.1.0", true},
		{"v0.01.0", "v0.1.0", true},
		{"v0.1.0-rc1", "v0.1.0", false},
		{"v0.1.1", "v0.1.0", false},
		{"v1", "v0.1.0", false},
		{"x0.1.0", "v0.1.0", false},
	}
	for _, tt := range tests {
		if got := sameVersion(tt.a, tt.b); got != tt.want {
			t.Errorf("sameVersion(%q, %q) = %t, want %t", tt.a, tt.b, got, tt.want)
		}
	}
}
