package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestGetopt(t *testing.T) {
	for _, tc := range []struct {
		args     string
		opts     []option
		rest     string
		bad      string
		ok       bool
		wantNone bool
	}{
		{args: "ls -l", rest: "ls -l", ok: true},
		{args: "-p stdio -v rw:/tmp ls", opts: []option{{'p', "stdio"}, {'v', "rw:/tmp"}}, rest: "ls", ok: true},
		{args: "-pstdio -nqk cat", opts: []option{{'p', "stdio"}, {'n', ""}, {'q', ""}, {'k', ""}}, rest: "cat", ok: true},
		{args: "-np inet ls", opts: []option{{'n', ""}, {'p', "inet"}}, rest: "ls", ok: true},
		{args: "-D ls", opts: []option{{'D', "ls"}}, ok: true},
		{args: "-- -p x", rest: "-p x", ok: true},
		{args: "-V - x", opts: []option{{'V', ""}}, rest: "- x", ok: true},
		{args: "-Z ls", bad: "-Z"},
		{args: "-p", bad: "-p"},
		{args: "-n: ls", opts: []option{{'n', ""}}, bad: "-:"},
	} {
		opts, rest, bad, ok := getopt(strings.Fields(tc.args))
		if ok != tc.ok || bad != tc.bad || !reflect.DeepEqual(opts, tc.opts) || (ok && strings.Join(rest, " ") != tc.rest) {
			t.Errorf("getopt(%q) = %v, %q, %q, %v; want %v, %q, %q, %v", tc.args, opts, rest, bad, ok, tc.opts, tc.rest, tc.bad, tc.ok)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"4096", 4096, true}, {"4k", 4096, true}, {"2M", 2 << 20, true}, {"1g", 1 << 30, true},
		{"0x10", 16, true}, {"010", 8, true}, {"1e", 1 << 60, true}, {"8e", 0, false},
		{"", 0, false}, {"k", 0, false}, {"12q", 0, false}, {"-1k", -1024, true},
	} {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzGetopt(f *testing.F) {
	for _, s := range []string{"-p stdio ls", "-nqkNV -T unveil", "-pstdio -vrw:/tmp -- -x", "-D", "-Z", "-n:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, " ")
		opts, rest, bad, ok := getopt(args)
		if !ok {
			if len(bad) != 2 || bad[0] != '-' {
				t.Fatalf("getopt(%q): bad flag %q", args, bad)
			}
			return
		}
		if len(rest) > len(args) {
			t.Fatalf("getopt(%q): rest %q longer than the input", args, rest)
		}
		for _, o := range opts {
			i := strings.IndexByte(optString, o.name)
			if i < 0 || o.name == ':' {
				t.Fatalf("getopt(%q) returned unknown flag %q", args, o.name)
			}
		}
	})
}
