package supervisor

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

// argsVersion prefixes the encoded configuration, so that a binary never
// misreads the arguments of another version of itself.
const argsVersion = "v1"

// encodeArgs packs what the supervisor process needs into one argument:
// v1:arch:set:penalty:selfpid:loader:fileexec:loaderpid:report. The cookie
// is left out on purpose: the command line of a process is visible to
// others, and the supervisor never needs it.
func encodeArgs(cfg Config, report bool) string {
	return strings.Join([]string{
		argsVersion,
		strconv.Itoa(int(cfg.Arch)),
		strconv.FormatUint(uint64(cfg.Set), 16),
		strconv.Itoa(int(cfg.Options.Penalty)),
		strconv.FormatUint(uint64(cfg.Options.SelfPID), 10),
		strconv.FormatUint(uint64(cfg.Options.Loader), 16),
		boolDigit(cfg.Options.FileExec),
		strconv.Itoa(cfg.LoaderPID),
		boolDigit(report),
	}, ":")
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// decodeArgs is the inverse of encodeArgs.
func decodeArgs(s string) (cfg Config, report bool, err error) {
	f := strings.Split(s, ":")
	if len(f) != 9 || f[0] != argsVersion {
		return cfg, false, fmt.Errorf("supervisor arguments %q: want %s:arch:set:penalty:selfpid:loader:fileexec:loaderpid:report (a pledge binary of the same version must start its own supervisor)", s, argsVersion)
	}
	p := fieldParser{fields: f}
	arch := p.uint(1, 10, 8)
	set := p.uint(2, 16, 32)
	penalty := p.uint(3, 10, 8)
	cfg.Options.SelfPID = uint32(p.uint(4, 10, 32))
	cfg.Options.Loader = promises.Set(p.uint(5, 16, 32))
	cfg.Options.FileExec = p.uint(6, 2, 1) == 1
	cfg.LoaderPID = int(p.uint(7, 10, 31))
	report = p.uint(8, 2, 1) == 1
	if p.err != nil {
		return Config{}, false, p.err
	}
	cfg.Arch = promises.Arch(arch)
	cfg.Set = promises.Set(set)
	cfg.Options.Arch = cfg.Arch
	cfg.Options.Penalty = promises.Penalty(penalty)
	if cfg.Arch != promises.AMD64 && cfg.Arch != promises.ARM64 {
		return Config{}, false, fmt.Errorf("supervisor arguments: unknown architecture %d", arch)
	}
	switch cfg.Options.Penalty {
	case promises.PenaltyEPERM, promises.PenaltyKill, promises.PenaltyNotify:
	default:
		return Config{}, false, fmt.Errorf("supervisor arguments: unknown penalty %d", penalty)
	}
	return cfg, report, nil
}

// fieldParser parses numeric fields and keeps the first error.
type fieldParser struct {
	fields []string
	err    error
}

func (p *fieldParser) uint(i, base, bits int) uint64 {
	v, err := strconv.ParseUint(p.fields[i], base, bits)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("supervisor arguments: field %d (%q): %w", i, p.fields[i], err)
	}
	return v
}
