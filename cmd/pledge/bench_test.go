package main

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Start-up cost of a sandboxed program against its floors (issue 3's target:
// pledge at most 3.3x plain /bin/true; the Go exec wrapper, the floor for
// any Go program that execs another, is about 3.05x). Compare with
//
//	go test -run '^$' -bench . -count 10 ./cmd/pledge
//
// Each iteration forks and waits for a whole process, so the numbers are
// wall-clock start-up times.

func BenchmarkExecTrue(b *testing.B) {
	benchCommand(b, "/bin/true")
}

func BenchmarkExecWrapTrue(b *testing.B) {
	wrap := filepath.Join(b.TempDir(), "execwrap")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", wrap, "../../testdata/bench/execwrap")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build execwrap: %v\n%s", err, out)
	}
	benchCommand(b, wrap, "/bin/true")
}

// BenchmarkPledgeTrue is the default start: reporting on, so pledge starts
// the program as its child and supervises it.
func BenchmarkPledgeTrue(b *testing.B) {
	benchCommand(b, pledgeBin, "-p", "stdio rpath", "/bin/true")
}

// BenchmarkPledgeQuietTrue is the start without a supervisor: pledge
// becomes the program.
func BenchmarkPledgeQuietTrue(b *testing.B) {
	benchCommand(b, pledgeBin, "-q", "-p", "stdio rpath", "/bin/true")
}

// benchCommand runs argv with its output on /dev/null, as hyperfine -N
// does: a pipe would also wait for pledge's supervisor, which holds stderr
// until the task is gone.
func benchCommand(b *testing.B, argv ...string) {
	for b.Loop() {
		if err := exec.Command(argv[0], argv[1:]...).Run(); err != nil {
			b.Fatalf("%q: %v", argv, err)
		}
	}
}
