package driver

import (
	"maps"
	"strings"
	"testing"
)

func TestParseProcCgroup(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"v2", "0::/system.slice/nomad.service\n", map[string]string{"": "/system.slice/nomad.service"}},
		{"v2 root", "0::/\n", map[string]string{"": "/"}},
		{"hybrid", "12:memory:/process_api/x\n4:cpu,cpuacct:/\n1:name=systemd:/init.scope\n0::/init.scope\n",
			map[string]string{"memory": "/process_api/x", "cpu": "/", "cpuacct": "/", "name=systemd": "/init.scope", "": "/init.scope"}},
		{"malformed lines skipped", "garbage\n3:freezer:relative\n5:pids:/a/../b\n", map[string]string{"pids": "/b"}},
		{"empty", "", map[string]string{}},
	}
	for _, tt := range tests {
		if got := parseProcCgroup(strings.NewReader(tt.in)); !maps.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
