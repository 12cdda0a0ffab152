package main

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
	"golang.org/x/sys/unix"
)

// Limits of the reference tool on its inputs.
const (
	maxPromisesLen = 255
	maxUnveils     = 10000
)

// config is a parsed command line.
type config struct {
	policy sandbox.Policy
	test   string   // -T: feature probe instead of a command
	help   bool     // -h or a bad flag: usage on stdout, exit 0
	argv   []string // the command
	// limits given on the command line, by resource; the others get the
	// reference's defaults (see finishLimits).
	limits map[int]int64
	// user is the account named by -u NAME, whose primary and
	// supplementary groups apply unless -g is given.
	user     *account
	gidGiven bool
}

// exitError is a command-line failure with the reference's exit status.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// parseConfig turns the arguments (without the program name) into a config.
func parseConfig(args []string) (*config, error) {
	opts, rest, _, ok := getopt(args)
	if !ok {
		return &config{help: true}, nil
	}
	c := &config{argv: rest, limits: map[int]int64{}}
	c.policy = sandbox.Policy{NotifyFD: -1, Report: true, SelfSupervise: true, AutoUnveil: true}
	var promiseWords []string
	promisesGiven := false
	for _, o := range opts {
		if err := c.apply(o, &promiseWords, &promisesGiven); err != nil {
			return nil, err
		}
	}
	if c.help {
		return c, nil
	}
	text := "stdio rpath"
	if promisesGiven {
		text = strings.Join(promiseWords, " ")
	}
	if len(text) > maxPromisesLen {
		return nil, &exitError{sandbox.ExitUsage, "error: too many promises (more than 255 bytes)"}
	}
	set, err := promises.Parse(text)
	if err != nil {
		return nil, &exitError{sandbox.ExitBadPromises, "pledge: bad promises list: " + text + "\n" + err.Error()}
	}
	c.policy.Promises = set
	c.finishIDs()
	c.policy.Rlimits = finishLimits(c.limits)
	return c, nil
}

// apply records one flag.
func (c *config) apply(o option, promiseWords *[]string, promisesGiven *bool) error {
	p := &c.policy
	var err error
	switch o.name {
	case 'h':
		c.help = true
	case 'n':
		p.VeryNice = true
	case 'q':
		p.Report, p.Quiet = false, true
	case 'k':
		p.Penalty = promises.PenaltyKill
	case 'N':
		p.NoNormalizeFDs = true
	case 'V':
		p.NoUnveil = true
	case 'D':
		p.KeepCaps = true
	case 'T':
		c.test = o.arg
	case 'p':
		*promiseWords = append(*promiseWords, o.arg)
		*promisesGiven = true
	case 'v':
		err = c.addUnveil(o.arg)
	case 'c':
		p.Chroot = o.arg
	case 'u':
		err = c.setUser(o.arg)
	case 'g':
		p.GID, err = lookupGroup(o.arg)
		c.gidGiven = true
	case 'C':
		err = c.setLimit(unix.RLIMIT_CPU, o, parseInteger)
	case 'P':
		err = c.setLimit(unix.RLIMIT_NPROC, o, parseInteger)
	case 'O':
		err = c.setLimit(unix.RLIMIT_NOFILE, o, parseInteger)
	case 'M':
		err = c.setLimit(unix.RLIMIT_AS, o, parseSize)
	case 'F':
		err = c.setLimit(unix.RLIMIT_FSIZE, o, parseSize)
	}
	return err
}

func (c *config) addUnveil(arg string) error {
	if len(c.policy.Unveils) >= maxUnveils {
		return &exitError{sandbox.ExitUsage, "error: too many unveils (more than 10000)"}
	}
	u, err := sandbox.ParseUnveil(arg)
	if err != nil {
		return &exitError{sandbox.ExitUnveil, "error: unveil(" + arg + ") failed: " + err.Error()}
	}
	c.policy.Unveils = append(c.policy.Unveils, u)
	return nil
}

// setLimit records a limit given on the command line.
func (c *config) setLimit(resource int, o option, parse func(string) (int64, error)) error {
	n, err := parse(o.arg)
	if err != nil {
		return &exitError{sandbox.ExitUsage, "error: -" + string(o.name) + " " + o.arg + ": " + err.Error()}
	}
	c.limits[resource] = n
	return nil
}

// parseInteger parses a count with C's base detection (0x…, 0…).
func parseInteger(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return 0, errors.New("invalid integer")
	}
	return n, nil
}

// parseSize parses an integer with an optional binary suffix k, m, g, t, p
// or e (powers of 1024, either case).
func parseSize(s string) (int64, error) {
	shift := 0
	if s != "" {
		if i := strings.IndexByte("kmgtpe", lower(s[len(s)-1])); i >= 0 {
			shift = 10 * (i + 1)
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil || n > math.MaxInt64>>shift || n < math.MinInt64>>shift {
		return 0, errors.New("invalid size")
	}
	return n << shift, nil
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
