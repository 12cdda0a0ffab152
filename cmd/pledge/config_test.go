package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
	"golang.org/x/sys/unix"
)

func TestParseConfigDefaults(t *testing.T) {
	c, err := parseConfig([]string{"ls"})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := promises.Parse("stdio rpath")
	if c.policy.Promises != want || !c.policy.AutoUnveil || !c.policy.Report || c.policy.NotifyFD != -1 {
		t.Errorf("defaults: %+v", c.policy)
	}
	limits := map[int]sandbox.Rlimit{}
	for _, l := range c.policy.Rlimits {
		limits[l.Resource] = l
	}
	if l := limits[unix.RLIMIT_FSIZE]; l.Cur != 256_000_000 || l.Max != 384_000_000 {
		t.Errorf("RLIMIT_FSIZE = %+v, want 256000000 soft, 1.5x hard", l)
	}
	if l := limits[unix.RLIMIT_NOFILE]; l.Cur != 64 || l.Max != 64 {
		t.Errorf("RLIMIT_NOFILE = %+v, want 64", l)
	}
	if _, ok := limits[unix.RLIMIT_CPU]; ok {
		t.Error("RLIMIT_CPU must be inherited by default")
	}
	if l := limits[unix.RLIMIT_AS]; l.Cur == 0 || l.Cur != l.Max {
		t.Errorf("RLIMIT_AS = %+v, want physical memory, soft = hard", l)
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		args     string
		code     int
		check    func(*config) bool
		describe string
	}{
		{args: "-p stdio -p inet ls", check: func(c *config) bool {
			s, _ := promises.Parse("stdio inet")
			return c.policy.Promises == s
		}, describe: "repeated -p joined"},
		{args: "-p bogus ls", code: sandbox.ExitBadPromises},
		{args: "-p " + strings.Repeat("stdio_", 50) + " ls", code: sandbox.ExitUsage},
		{args: "-v q:/x ls", code: sandbox.ExitUnveil},
		{args: "-M 12q ls", code: sandbox.ExitUsage},
		{args: "-O x ls", code: sandbox.ExitUsage},
		{args: "-u 65534 -g 65534 ls", check: func(c *config) bool { return c.policy.UID == 65534 && c.policy.GID == 65534 }, describe: "numeric ids"},
		{args: "-u nobody ls", check: func(c *config) bool { return c.policy.UID == 65534 && c.policy.GID != 0 && len(c.policy.Groups) > 0 }, describe: "user name brings its groups"},
		{args: "-u nobody -g 0 ls", check: func(c *config) bool { return c.policy.UID == 65534 && c.policy.GID == 0 && c.policy.Groups == nil }, describe: "-g overrides the user's groups"},
		{args: "-u no-such-user ls", code: sandbox.ExitSetuid},
		{args: "-F 0 -O 0 ls", check: func(c *config) bool {
			for _, l := range c.policy.Rlimits {
				if l.Resource == unix.RLIMIT_FSIZE || l.Resource == unix.RLIMIT_NOFILE {
					return false
				}
			}
			return true
		}, describe: "0 leaves a limit inherited"},
		{args: "-q -k -V -N -n -D x -c /jail ls", check: func(c *config) bool {
			p := c.policy
			return !p.Report && p.Quiet && p.Penalty == promises.PenaltyKill && p.NoUnveil && p.NoNormalizeFDs && p.VeryNice && p.KeepCaps && p.Chroot == "/jail"
		}, describe: "boolean flags"},
		{args: "-v rw:/tmp -v /etc ls", check: func(c *config) bool {
			return len(c.policy.Unveils) == 2 && c.policy.Unveils[0] == sandbox.Unveil{Perm: sandbox.PermRead | sandbox.PermWrite, Path: "/tmp"}
		}, describe: "unveils in order"},
		{args: "-T unveil", check: func(c *config) bool { return c.test == "unveil" && len(c.argv) == 0 }, describe: "-T"},
		{args: "-Z ls", check: func(c *config) bool { return c.help }, describe: "unknown flag shows usage"},
	} {
		c, err := parseConfig(strings.Fields(tc.args))
		var ee *exitError
		switch {
		case tc.code != 0:
			if !errors.As(err, &ee) || ee.code != tc.code {
				t.Errorf("parseConfig(%q) error = %v, want exit %d", tc.args, err, tc.code)
			}
		case err != nil:
			t.Errorf("parseConfig(%q): %v", tc.args, err)
		case !tc.check(c):
			t.Errorf("parseConfig(%q): %s: got %+v", tc.args, tc.describe, c.policy)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"-p stdio ls", "-v rwxc:/tmp -M 4g -F 1k ls", "-u 0 -g 0 -C 0x10 x", "-p '' ls", "-O -1 ls"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseConfig(strings.Split(s, " "))
		if err != nil {
			var ee *exitError
			if !errors.As(err, &ee) || ee.code == 0 {
				t.Fatalf("parseConfig(%q): error without an exit status: %v", s, err)
			}
			return
		}
		for _, u := range c.policy.Unveils {
			if u.Path == "" {
				t.Fatalf("parseConfig(%q): empty unveil path", s)
			}
		}
	})
}
