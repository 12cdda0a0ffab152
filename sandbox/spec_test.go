package sandbox

import (
	"reflect"
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"golang.org/x/sys/unix"
)

func sampleSpec() Spec {
	return Spec{
		Policy: Policy{
			Promises: promises.Set(0x3), Penalty: promises.PenaltyKill, Report: true, NotifyFD: 7,
			SelfSupervise: true, Unveils: []Unveil{{PermRead | PermCreate, "/srv"}, {0, "/x"}},
			AutoUnveil: true, Rlimits: []Rlimit{{unix.RLIMIT_NOFILE, 64, 64}, {unix.RLIMIT_AS, 1 << 40, ^uint64(0)}},
			VeryNice: true, UID: 65534, GID: 65534, Groups: []uint32{65534, 100}, AmbientCaps: 1 << 10,
			NoNormalizeFDs: true, Chroot: "/jail", Dir: "/work", Quiet: true, KeepCaps: true, NoUnveil: true,
		},
		Argv: []string{"python3", "-m", "http.server"},
		Env:  []string{"PATH=/usr/bin", "EMPTY="},
	}
}

func TestSpecRoundTrip(t *testing.T) {
	for _, s := range []Spec{{Policy: Policy{NotifyFD: -1}}, sampleSpec()} {
		data, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Spec
		if err := got.UnmarshalBinary(data); err != nil {
			t.Fatalf("UnmarshalBinary: %v", err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
		}
	}
}

func TestSpecRejects(t *testing.T) {
	s := sampleSpec()
	good, _ := s.MarshalBinary()
	nul := sampleSpec()
	nul.Argv = []string{"a\x00b"}
	withNUL, _ := nul.MarshalBinary()
	for name, data := range map[string][]byte{
		"empty":     nil,
		"version":   append([]byte("PLG\x02"), good[4:]...),
		"truncated": good[:len(good)-1],
		"trailing":  append(append([]byte{}, good...), 0),
		"nul":       withNUL,
		"huge count": append([]byte(specMagic),
			0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x07), // unveil count 2^31-1 with no data
	} {
		var got Spec
		if err := got.UnmarshalBinary(data); err == nil {
			t.Errorf("%s: UnmarshalBinary accepted %q", name, data)
		}
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	s := sampleSpec()
	good, _ := s.MarshalBinary()
	f.Add(good)
	empty := Spec{Policy: Policy{NotifyFD: -1}}
	minimal, _ := empty.MarshalBinary()
	f.Add(minimal)
	f.Add([]byte(specMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Spec
		if err := s.UnmarshalBinary(data); err != nil {
			return
		}
		again, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var s2 Spec
		if err := s2.UnmarshalBinary(again); err != nil || !reflect.DeepEqual(s, s2) {
			t.Fatalf("re-encoding changed the spec: %v", err)
		}
	})
}
