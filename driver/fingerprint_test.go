package driver

import (
	"runtime"
	"strings"
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

func TestFingerprintAttributes(t *testing.T) {
	d := New(Options{Version: "1.2.3"})
	fp := d.fingerprint(features{
		Kernel: "6.18", Seccomp: true, SeccompNotify: true, LandlockABI: 7,
		Cgroup: cgroup.ModeV2, NetBind: true, Root: true, Namespaces: map[string]bool{"user": true},
	})
	want := map[string]string{
		"driver.pledge":                "b:true",
		"driver.pledge.version":        "s:1.2.3",
		"driver.pledge.landlock_abi":   "i:7",
		"driver.pledge.seccomp_notify": "b:true",
		"driver.pledge.cgroup":         "s:v2",
		"driver.pledge.cap.net_bind":   "b:true",
		"driver.pledge.os":             "s:" + runtime.GOOS,
		"driver.pledge.arch":           "s:" + runtime.GOARCH,
	}
	if len(fp.Attributes) != len(want) {
		t.Errorf("got %d attributes, want %d", len(fp.Attributes), len(want))
	}
	for k, v := range want {
		if got := attrString(fp.Attributes[k]); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if fp.Health != nomadplugin.HealthHealthy {
		t.Errorf("health = %v (%s), want healthy", fp.Health, fp.HealthDescription)
	}
}

func TestFingerprintHealth(t *testing.T) {
	full := features{Seccomp: true, SeccompNotify: true, LandlockABI: 6, Root: true, Cgroup: cgroup.ModeV1, Namespaces: map[string]bool{"user": true}}
	tests := []struct {
		name   string
		mod    func(*features)
		config string
		health nomadplugin.HealthState
		desc   string
	}{
		{"all there", func(*features) {}, "", nomadplugin.HealthHealthy, "Healthy"},
		{"no seccomp", func(f *features) { f.Seccomp = false }, "", nomadplugin.HealthUnhealthy, "seccomp filters are unavailable"},
		{"no landlock required", func(f *features) { f.LandlockABI = 0 }, "", nomadplugin.HealthUnhealthy, "require_landlock = false"},
		{"no landlock allowed", func(f *features) { f.LandlockABI = 0 }, "require_landlock = false", nomadplugin.HealthHealthy, "no Landlock: unveil is not enforced"},
		{"no notify", func(f *features) { f.SeccompNotify = false }, "", nomadplugin.HealthHealthy, "violations are denied but not reported"},
		{"rootless without userns", func(f *features) { f.Root = false; f.Namespaces = map[string]bool{} }, "", nomadplugin.HealthUnhealthy, "no user namespaces"},
	}
	for _, tt := range tests {
		d := New(Options{})
		d.cgroupErr = nil
		raw := encodePlugin(t, tt.config)
		if err := d.SetConfig(raw, nil); err != nil {
			t.Fatal(err)
		}
		f := full
		f.Namespaces = map[string]bool{"user": true}
		tt.mod(&f)
		fp := d.fingerprint(f)
		if fp.Health != tt.health || !strings.Contains(fp.HealthDescription, tt.desc) {
			t.Errorf("%s: health %v %q, want %v containing %q", tt.name, fp.Health, fp.HealthDescription, tt.health, tt.desc)
		}
	}
}

func TestFingerprintNetBindNeedsOperator(t *testing.T) {
	d := New(Options{})
	if err := d.SetConfig(encodePlugin(t, `allowed_caps = []`), nil); err != nil {
		t.Fatal(err)
	}
	fp := d.fingerprint(features{Seccomp: true, LandlockABI: 7, Root: true, NetBind: true})
	if got := attrString(fp.Attributes["driver.pledge.cap.net_bind"]); got != "b:false" {
		t.Errorf("cap.net_bind = %s with allowed_caps = [], want false", got)
	}
}

func TestSameFingerprint(t *testing.T) {
	d := New(Options{Version: "1"})
	f := features{Seccomp: true, LandlockABI: 7, Root: true}
	a, b := d.fingerprint(f), d.fingerprint(f)
	if !sameFingerprint(a, b) {
		t.Error("identical fingerprints compare unequal: the stream would resend")
	}
	f.LandlockABI = 6
	if sameFingerprint(a, d.fingerprint(f)) {
		t.Error("a changed attribute compares equal: the change would not be sent")
	}
}
