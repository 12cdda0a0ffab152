package supervisor

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

// payloadVersion prefixes the filter description, so that a supervisor
// never misreads the message of a shim of another version.
const payloadVersion = "pledge-filter-v1"

// HandoffPayload is the data the shim sends along with the listener fd: a
// description of the filter it installed (architecture, promises, penalty,
// self pid, loader promises, file exec), so that the supervisor applies
// exactly the rules the filter was compiled from without its caller having
// to repeat the shim's decisions. The cookie is left out: the supervisor
// never needs it.
func HandoffPayload(cfg Config) []byte {
	o := cfg.Options
	return []byte(strings.Join([]string{
		payloadVersion,
		strconv.Itoa(int(cfg.Arch)),
		strconv.FormatUint(uint64(cfg.Set), 16),
		strconv.Itoa(int(o.Penalty)),
		strconv.FormatUint(uint64(o.SelfPID), 10),
		strconv.FormatUint(uint64(o.Loader), 16),
		boolDigit(o.FileExec),
	}, ":"))
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// decodePayload is the inverse of HandoffPayload: it fills the filter
// fields of a Config (Arch, Set, Options).
func decodePayload(b []byte) (Config, error) {
	f := strings.Split(string(b), ":")
	if len(f) != 7 || f[0] != payloadVersion {
		return Config{}, fmt.Errorf("listener hand-off %q: want %s:arch:set:penalty:selfpid:loader:fileexec (shim and supervisor must be the same version)", b, payloadVersion)
	}
	p := fieldParser{fields: f}
	arch := promises.Arch(p.uint(1, 10, 8))
	cfg := Config{Arch: arch, Set: promises.Set(p.uint(2, 16, 32))}
	cfg.Options = promises.Options{
		Arch:     arch,
		Penalty:  promises.Penalty(p.uint(3, 10, 8)),
		SelfPID:  uint32(p.uint(4, 10, 32)),
		Loader:   promises.Set(p.uint(5, 16, 32)),
		FileExec: p.uint(6, 2, 1) == 1,
	}
	if p.err != nil {
		return Config{}, p.err
	}
	if err := cfg.checkFilter(); err != nil {
		return Config{}, fmt.Errorf("listener hand-off: %w", err)
	}
	return cfg, nil
}

// checkFilter rejects a filter description no shim writes: an unknown
// architecture or penalty, or options for another architecture.
func (c Config) checkFilter() error {
	if c.Arch != promises.AMD64 && c.Arch != promises.ARM64 {
		return fmt.Errorf("unknown architecture %d; want %d (x86_64) or %d (aarch64)", c.Arch, promises.AMD64, promises.ARM64)
	}
	if c.Options.Arch != c.Arch {
		return fmt.Errorf("options for architecture %d in a filter for %d", c.Options.Arch, c.Arch)
	}
	switch c.Options.Penalty {
	case promises.PenaltyEPERM, promises.PenaltyKill, promises.PenaltyNotify:
	default:
		return fmt.Errorf("unknown penalty %d", c.Options.Penalty)
	}
	return nil
}

// fieldParser parses numeric fields and keeps the first error.
type fieldParser struct {
	fields []string
	err    error
}

func (p *fieldParser) uint(i, base, bits int) uint64 {
	v, err := strconv.ParseUint(p.fields[i], base, bits)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("listener hand-off: field %d (%q): %w", i, p.fields[i], err)
	}
	return v
}
