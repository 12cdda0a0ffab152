package driver

import "testing"

// FuzzDecodeDriverState feeds arbitrary handle state to the decoder the
// driver runs on every RecoverTask: errors, never panics, and whatever it
// accepts re-encodes.
func FuzzDecodeDriverState(f *testing.F) {
	f.Add(1, []byte(`{"spec":{"command":"sleep","promises":3,"importance":2,"penalty":0,"work_dir":"/t"},"user":{"name":"nobody","uid":65534,"gid":65534},"init_pid":42,"init_start_time":7,"status_path":"/run/x.status","started_at":"2026-11-27T20:00:00Z"}`))
	f.Add(1, []byte(`{"init_pid":1,"init_start_time":1,"status_path":"/s","cgroup":{"mode":"v2","unified":"/sys/fs/cgroup/x"}}`))
	f.Add(0, []byte(`{}`))
	f.Add(1, []byte(`{"spec":{"importance":99}}`))
	f.Fuzz(func(t *testing.T, version int, data []byte) {
		s, err := decodeDriverState(version, data)
		if err != nil {
			return
		}
		if _, err := s.encode(); err != nil {
			t.Fatalf("accepted state does not re-encode: %v", err)
		}
		_ = s.Spec.Importance.String()
	})
}

// FuzzParseSignal checks that any name either fails or yields a signal in
// the kernel's range.
func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"SIGTERM", "usr1", "SIGRTMIN+3", "SIGRTMAX-0", "SIGRTMIN+-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s, err := parseSignal(name)
		if err == nil && (s < 1 || s > sigRTMax) {
			t.Fatalf("parseSignal(%q) = %d, outside 1-%d", name, s, sigRTMax)
		}
	})
}
