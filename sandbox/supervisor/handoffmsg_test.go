package supervisor

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

func TestPayloadRoundTrip(t *testing.T) {
	for _, cfg := range []Config{
		{Arch: promises.AMD64, Set: promises.Stdio, Options: promises.Options{
			Arch: promises.AMD64, Penalty: promises.PenaltyNotify, SelfPID: 99, Loader: promises.Rpath, FileExec: true,
		}},
		{Arch: promises.ARM64, Set: promises.All(), Options: promises.Options{
			Arch: promises.ARM64, Penalty: promises.PenaltyKill, SelfPID: 1 << 22,
		}},
	} {
		b := HandoffPayload(cfg)
		got, err := decodePayload(b)
		if err != nil || got.Arch != cfg.Arch || got.Set != cfg.Set || got.Options != cfg.Options {
			t.Errorf("decodePayload(%q) = %+v, %v; want %+v", b, got, err, cfg)
		}
		if len(b) > maxPayload {
			t.Errorf("payload %q is longer than the %d bytes the supervisor reads", b, maxPayload)
		}
	}
}

// TestPayloadOmitsCookie: the cookie must never leave the shim.
func TestPayloadOmitsCookie(t *testing.T) {
	const cookie = 0xfeedfacecafebeef
	b := HandoffPayload(Config{Options: promises.Options{Cookie: cookie}})
	for _, enc := range []string{strconv.FormatUint(cookie, 16), strconv.FormatUint(cookie, 10)} {
		if bytes.Contains(b, []byte(enc)) {
			t.Errorf("HandoffPayload leaks the cookie: %q", b)
		}
	}
}

func TestDecodePayloadErrors(t *testing.T) {
	for _, s := range []string{
		"",
		"\x00",
		"pledge-filter-v2:0:1:0:1:0:0",
		"pledge-filter-v1:0:1:0:1:0",
		"pledge-filter-v1:7:1:0:1:0:0",
		"pledge-filter-v1:0:1:9:1:0:0",
		"pledge-filter-v1:0:zz:0:1:0:0",
		"pledge-filter-v1:0:1:0:1:0:2",
		"pledge-filter-v1:0:1:0:-1:0:0",
	} {
		if _, err := decodePayload([]byte(s)); err == nil {
			t.Errorf("decodePayload(%q) accepted it", s)
		}
	}
}

func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte("pledge-filter-v1:0:1:2:1234:2:1"))
	f.Add([]byte("pledge-filter-v1:1:7fffff:1:1:0:0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := decodePayload(b)
		if err != nil {
			return
		}
		again, err := decodePayload(HandoffPayload(cfg))
		if err != nil || again.Arch != cfg.Arch || again.Set != cfg.Set || again.Options != cfg.Options {
			t.Errorf("%q decodes to %+v, which does not survive a round trip (%v)", b, cfg, err)
		}
	})
}
