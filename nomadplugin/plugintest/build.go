package plugintest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// builds caches binaries per (package, name) for the test process.
var builds struct {
	mu   sync.Mutex
	dir  string
	bins map[string]string
}

// Build compiles the main package pkg (an import path, or a directory
// relative to the test's working directory) with CGO_ENABLED=0 into a binary
// called name, which must equal the plugin's PluginInfo name as in an
// agent's plugin_dir. Each (pkg, name) is built once per test process into a
// shared temporary directory, readable and executable by every user; call
// RemoveBuilds from TestMain to delete it. Build failures fail the test with the compiler's output.
func Build(t testing.TB, pkg, name string) string {
	t.Helper()
	builds.mu.Lock()
	defer builds.mu.Unlock()
	key := pkg + "\x00" + name
	if bin, ok := builds.bins[key]; ok {
		return bin
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "plugintest-build")
		if err != nil {
			t.Fatal(err)
		}
		// Traversable by everyone, so that a plugin launched with
		// Options.Credential can execute its binary.
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		builds.dir, builds.bins = dir, map[string]string{}
	}
	out := filepath.Join(builds.dir, fmt.Sprint(len(builds.bins)), name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
	builds.bins[key] = out
	return out
}

// RemoveBuilds deletes the binaries Build made; call it from TestMain after
// m.Run.
func RemoveBuilds() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		_ = os.RemoveAll(builds.dir)
		builds.dir, builds.bins = "", nil
	}
}
