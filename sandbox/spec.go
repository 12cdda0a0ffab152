package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

// Spec is what the Nomad driver hands to its re-executed shim: the policy and
// the command. It travels in a compact hand-written encoding (no reflection,
// nothing to initialise) because the shim is on every task's start-up path.
type Spec struct {
	Policy Policy
	Argv   []string
	Env    []string
}

// specMagic starts every encoded Spec; the last byte is the format version,
// so a driver and shim from different builds fail loudly instead of
// misreading each other.
const specMagic = "PLG\x01"

// Policy booleans, packed into one flags word.
const (
	flagReport = 1 << iota
	flagSelfSupervise
	flagNoUnveil
	flagAutoUnveil
	flagVeryNice
	flagKeepCaps
	flagNoNormalizeFDs
	flagQuiet
	flagsKnown = flagQuiet<<1 - 1
)

// MarshalBinary encodes s.
func (s *Spec) MarshalBinary() ([]byte, error) {
	p := &s.Policy
	b := []byte(specMagic)
	b = binary.AppendUvarint(b, uint64(p.Promises))
	b = binary.AppendVarint(b, int64(p.Penalty))
	b = binary.AppendVarint(b, int64(p.NotifyFD))
	b = binary.AppendUvarint(b, p.flags())
	b = binary.AppendUvarint(b, uint64(len(p.Unveils)))
	for _, u := range p.Unveils {
		b = append(b, byte(u.Perm))
		b = appendString(b, u.Path)
	}
	b = binary.AppendUvarint(b, uint64(len(p.Rlimits)))
	for _, l := range p.Rlimits {
		b = binary.AppendVarint(b, int64(l.Resource))
		b = binary.AppendUvarint(b, l.Cur)
		b = binary.AppendUvarint(b, l.Max)
	}
	b = binary.AppendUvarint(b, uint64(p.UID))
	b = binary.AppendUvarint(b, uint64(p.GID))
	b = binary.AppendUvarint(b, uint64(len(p.Groups)))
	for _, g := range p.Groups {
		b = binary.AppendUvarint(b, uint64(g))
	}
	b = binary.AppendUvarint(b, p.AmbientCaps)
	b = appendString(b, p.Chroot)
	b = appendString(b, p.Dir)
	b = appendStrings(b, s.Argv)
	b = appendStrings(b, s.Env)
	return b, nil
}

func (p *Policy) flags() uint64 {
	var f uint64
	for _, x := range [...]struct {
		on  bool
		bit uint64
	}{
		{p.Report, flagReport}, {p.SelfSupervise, flagSelfSupervise},
		{p.NoUnveil, flagNoUnveil}, {p.AutoUnveil, flagAutoUnveil},
		{p.VeryNice, flagVeryNice}, {p.KeepCaps, flagKeepCaps},
		{p.NoNormalizeFDs, flagNoNormalizeFDs}, {p.Quiet, flagQuiet},
	} {
		if x.on {
			f |= x.bit
		}
	}
	return f
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// UnmarshalBinary decodes data produced by MarshalBinary. It rejects
// anything else (a different version, trailing bytes, counts larger than the
// data, strings with NUL bytes) without allocating more than the input size.
func (s *Spec) UnmarshalBinary(data []byte) error {
	if !strings.HasPrefix(string(data), specMagic) {
		return errors.New("sandbox spec: bad magic or version: driver and shim come from different builds")
	}
	d := decoder{buf: data[len(specMagic):]}
	var out Spec
	p := &out.Policy
	p.Promises = promises.Set(d.uint(math.MaxUint32, "promises"))
	p.Penalty = promises.Penalty(d.int(0, math.MaxInt32, "penalty"))
	p.NotifyFD = int(d.int(-1, math.MaxInt32, "notify fd"))
	p.setFlags(d.uint(flagsKnown, "flags"))
	p.Unveils = makeSlice[Unveil](d.count("unveils"))
	for i := range p.Unveils {
		p.Unveils[i] = Unveil{Perm: Perm(d.uint(uint64(PermRead|PermWrite|PermExec|PermCreate), "unveil permission")), Path: d.string("unveil path")}
	}
	p.Rlimits = makeSlice[Rlimit](d.count("rlimits"))
	for i := range p.Rlimits {
		p.Rlimits[i] = Rlimit{Resource: int(d.int(0, math.MaxInt32, "rlimit resource")), Cur: d.uint(math.MaxUint64, "rlimit"), Max: d.uint(math.MaxUint64, "rlimit")}
	}
	p.UID = uint32(d.uint(math.MaxUint32, "uid"))
	p.GID = uint32(d.uint(math.MaxUint32, "gid"))
	p.Groups = makeSlice[uint32](d.count("groups"))
	for i := range p.Groups {
		p.Groups[i] = uint32(d.uint(math.MaxUint32, "group"))
	}
	p.AmbientCaps = d.uint(math.MaxUint64, "ambient capabilities")
	p.Chroot = d.string("chroot")
	p.Dir = d.string("dir")
	out.Argv = d.strings("argv")
	out.Env = d.strings("env")
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("sandbox spec: %d trailing bytes", len(d.buf))
	}
	if d.err != nil {
		return d.err
	}
	*s = out
	return nil
}

func (p *Policy) setFlags(f uint64) {
	p.Report = f&flagReport != 0
	p.SelfSupervise = f&flagSelfSupervise != 0
	p.NoUnveil = f&flagNoUnveil != 0
	p.AutoUnveil = f&flagAutoUnveil != 0
	p.VeryNice = f&flagVeryNice != 0
	p.KeepCaps = f&flagKeepCaps != 0
	p.NoNormalizeFDs = f&flagNoNormalizeFDs != 0
	p.Quiet = f&flagQuiet != 0
}

// decoder reads the Spec encoding; the first error sticks and later reads
// return zero values, so UnmarshalBinary reads like the encoder.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(what, why string) {
	if d.err == nil {
		d.err = errors.New("sandbox spec: " + what + ": " + why)
	}
}

func (d *decoder) uint(max uint64, what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail(what, "truncated or overlong varint")
		return 0
	}
	d.buf = d.buf[n:]
	if v > max {
		d.fail(what, fmt.Sprintf("%d out of range (max %d)", v, max))
		return 0
	}
	return v
}

func (d *decoder) int(min, max int64, what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail(what, "truncated or overlong varint")
		return 0
	}
	d.buf = d.buf[n:]
	if v < min || v > max {
		d.fail(what, fmt.Sprintf("%d out of range [%d, %d]", v, min, max))
		return 0
	}
	return v
}

// count reads an element count; every element takes at least one byte, so a
// count above the remaining length is corrupt and is refused before any
// allocation.
func (d *decoder) count(what string) int {
	n := d.uint(math.MaxInt32, what+" count")
	if n > uint64(len(d.buf)) {
		d.fail(what, fmt.Sprintf("count %d beyond the %d bytes left", n, len(d.buf)))
		return 0
	}
	return int(n)
}

// makeSlice returns nil for n == 0, so that a decoded Spec equals the one
// that was encoded.
func makeSlice[T any](n int) []T {
	if n == 0 {
		return nil
	}
	return make([]T, n)
}

func (d *decoder) string(what string) string {
	n := d.uint(math.MaxInt32, what+" length")
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.buf)) {
		d.fail(what, fmt.Sprintf("length %d beyond the %d bytes left", n, len(d.buf)))
		return ""
	}
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
	if strings.IndexByte(s, 0) >= 0 {
		d.fail(what, "contains a NUL byte")
		return ""
	}
	return s
}

func (d *decoder) strings(what string) []string {
	ss := makeSlice[string](d.count(what))
	for i := range ss {
		ss[i] = d.string(what)
	}
	return ss
}
