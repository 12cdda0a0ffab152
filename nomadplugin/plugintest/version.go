package plugintest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
)

// driverAPIVersion is the only driver plugin API version Nomad supports.
const driverAPIVersion = "v0.1.0"

// versionPattern accepts what hashicorp/go-version parses: an optional v,
// one or more dot-separated numbers, optional pre-release and metadata.
var versionPattern = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+)*(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// checkInfo applies the agent's checks to PluginInfo and returns the
// plugin's own spelling of the API version it will be spoken to with.
func checkInfo(info *basepb.PluginInfoResponse, wantName string) (string, error) {
	if info.GetType() != basepb.PluginType_DRIVER {
		return "", fmt.Errorf("PluginInfo type is %v; a task driver must report DRIVER", info.GetType())
	}
	if !versionPattern.MatchString(info.GetPluginVersion()) {
		return "", fmt.Errorf("PluginInfo plugin_version %q is not a version; report e.g. \"0.1.0\"", info.GetPluginVersion())
	}
	if wantName != "" && info.GetName() != wantName {
		return "", fmt.Errorf("PluginInfo name %q differs from the binary's file name %q; the agent looks config up by file name", info.GetName(), wantName)
	}
	for _, v := range info.GetPluginApiVersions() {
		if sameVersion(v, driverAPIVersion) {
			return v, nil
		}
	}
	return "", fmt.Errorf("PluginInfo plugin_api_versions %q has no version the agent supports; include %q", info.GetPluginApiVersions(), driverAPIVersion)
}

// sameVersion compares versions semantically: "0.1.0" equals "v0.1.0" and
// "v0.1", as in hashicorp/go-version.
func sameVersion(a, b string) bool {
	if !versionPattern.MatchString(a) || !versionPattern.MatchString(b) {
		return false
	}
	return canonicalVersion(a) == canonicalVersion(b)
}

// canonicalVersion drops the v and metadata and pads to three numbers.
func canonicalVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	v, _, _ = strings.Cut(v, "+")
	core, pre, _ := strings.Cut(v, "-")
	parts := strings.Split(core, ".")
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	for i, p := range parts {
		n, _ := strconv.ParseUint(p, 10, 64)
		parts[i] = strconv.FormatUint(n, 10)
	}
	return strings.Join(parts, ".") + "-" + pre
}
