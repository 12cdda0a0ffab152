package driver

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/cgroup"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

// fingerprintPeriod is how often the driver re-checks its health. A
// response is sent only when something changed.
const fingerprintPeriod = 30 * time.Second

// Fingerprint reports the driver's health and node attributes, once at once
// and then whenever they change.
func (d *Driver) Fingerprint(ctx context.Context) <-chan nomadplugin.Fingerprint {
	ch := make(chan nomadplugin.Fingerprint, 1)
	go func() {
		defer close(ch)
		var last *nomadplugin.Fingerprint
		t := time.NewTicker(fingerprintPeriod)
		defer t.Stop()
		for {
			fp := d.fingerprint(probeFeatures(d.cgroups))
			if last == nil || !sameFingerprint(*last, fp) {
				select {
				case ch <- fp:
				case <-ctx.Done():
					return
				}
				last = &fp
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// fingerprint turns probed features into attributes and a health verdict.
func (d *Driver) fingerprint(f features) nomadplugin.Fingerprint {
	op := d.operator()
	prefix := "driver." + DriverName + "."
	attrs := map[string]nomadplugin.Attribute{
		"driver." + DriverName:    nomadplugin.NewBoolAttribute(true),
		prefix + "version":        nomadplugin.NewStringAttribute(d.version),
		prefix + "landlock_abi":   nomadplugin.NewIntAttribute(int64(f.LandlockABI), ""),
		prefix + "seccomp_notify": nomadplugin.NewBoolAttribute(f.SeccompNotify),
		prefix + "cgroup":         nomadplugin.NewStringAttribute(string(f.Cgroup)),
		prefix + "cap.net_bind":   nomadplugin.NewBoolAttribute(f.NetBind && op.Caps&(1<<capNetBindService) != 0),
		prefix + "os":             nomadplugin.NewStringAttribute(runtime.GOOS),
		prefix + "arch":           nomadplugin.NewStringAttribute(runtime.GOARCH),
	}
	health, desc := d.health(f, op)
	return nomadplugin.Fingerprint{Attributes: attrs, Health: health, HealthDescription: desc}
}

// capNetBindService is CAP_NET_BIND_SERVICE's number.
const capNetBindService = unix.CAP_NET_BIND_SERVICE

// health decides whether tasks can run as promised. Missing seccomp or
// (when required) Landlock makes the driver unhealthy rather than running
// tasks with a weaker sandbox than their job asks for; missing extras
// (violation reports, cgroups) are named in a healthy description.
func (d *Driver) health(f features, op *operatorPolicy) (nomadplugin.HealthState, string) {
	if runtime.GOOS != "linux" {
		return nomadplugin.HealthUndetected, "the pledge driver needs Linux"
	}
	if !f.Seccomp {
		return nomadplugin.HealthUnhealthy, "seccomp filters are unavailable in this kernel (CONFIG_SECCOMP_FILTER); promises cannot be enforced"
	}
	if f.LandlockABI == 0 && op.RequireLandlock {
		return nomadplugin.HealthUnhealthy, "Landlock is unavailable (not built or not in the lsm= boot list), so unveil cannot be enforced; enable it or set require_landlock = false in the plugin config"
	}
	if !f.Root && !f.Namespaces["user"] {
		return nomadplugin.HealthUnhealthy, "the driver runs without root and the kernel has no user namespaces to isolate tasks with"
	}
	var notes []string
	if f.LandlockABI == 0 {
		notes = append(notes, "no Landlock: unveil is not enforced")
	}
	if !f.SeccompNotify {
		notes = append(notes, "no seccomp user notification: violations are denied but not reported")
	}
	if !f.Root {
		notes = append(notes, fmt.Sprintf("runs without root: tasks run as uid %d in a user namespace, without bridge networking or cap_add", d.uid))
		if f.Cgroup == cgroup.ModeNone {
			notes = append(notes, "no cgroup v2 subtree delegated: limits are not enforced")
		}
	}
	if d.cgroupErr != nil {
		notes = append(notes, fmt.Sprintf("cgroups unusable: %v", d.cgroupErr))
	}
	if len(notes) == 0 {
		return nomadplugin.HealthHealthy, "Healthy"
	}
	return nomadplugin.HealthHealthy, "Healthy (" + strings.Join(notes, "; ") + ")"
}

// sameFingerprint compares two fingerprints by value.
func sameFingerprint(a, b nomadplugin.Fingerprint) bool {
	if a.Health != b.Health || a.HealthDescription != b.HealthDescription {
		return false
	}
	return maps.EqualFunc(a.Attributes, b.Attributes, sameAttribute)
}

func sameAttribute(a, b nomadplugin.Attribute) bool {
	return attrString(a) == attrString(b) && a.Unit == b.Unit
}

// attrString renders an attribute value as the agent shows it.
func attrString(a nomadplugin.Attribute) string {
	switch {
	case a.String != nil:
		return "s:" + *a.String
	case a.Int != nil:
		return fmt.Sprintf("i:%d", *a.Int)
	case a.Bool != nil:
		return fmt.Sprintf("b:%t", *a.Bool)
	case a.Float != nil:
		return fmt.Sprintf("f:%v", *a.Float)
	}
	return ""
}
