package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeHost builds a root directory with the mountinfo of
// testdata/hosts/<layout> and the given files (paths relative to the root;
// a path ending in "/" is a directory), and detects it. The v1 mount
// points exist as empty directories.
func fakeHost(t *testing.T, layout string, files map[string]string) (*Host, string) {
	t.Helper()
	root := t.TempDir()
	info, err := os.ReadFile(filepath.Join("testdata/hosts", layout, "proc/self/mountinfo"))
	if err != nil {
		t.Fatal(err)
	}
	files["proc/self/mountinfo"] = string(info)
	for p, content := range files {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := DetectAt(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, mnt := range h.v1 {
		if err := os.MkdirAll(h.fsPath(mnt), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return h, root
}

// copyGroup copies a fixture group tree (testdata/groups/<name>) into a
// temporary directory, so tests can change counters.
func copyGroup(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("testdata/groups", name))); err != nil {
		t.Fatal(err)
	}
	return dst
}
