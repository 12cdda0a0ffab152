package preload

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallReusesItsFile(t *testing.T) {
	dir := t.TempDir()
	first, err := Install(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Install(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first != second || !strings.HasPrefix(filepath.Base(first), ".pledge-preload-") || !strings.HasSuffix(first, ".so") {
		t.Fatalf("Install paths %q then %q, want the same .pledge-preload-<hash>.so", first, second)
	}
	assertObject(t, first)
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files left in the directory, want 1", len(entries))
	}
}

func TestInstallDistrustsWhatItFinds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		plant    func(t *testing.T, path string)
		sameName bool // the content-addressed name is (re)used
	}{
		{"symlink to a writable file", func(t *testing.T, path string) {
			target := filepath.Join(filepath.Dir(path), "victim")
			if err := os.WriteFile(target, Object(), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"own file with other bytes", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("not an ELF"), 0o444); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"own writable file with the right bytes", func(t *testing.T, path string) {
			if err := os.WriteFile(path, Object(), 0o644); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			want, err := Install(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			want = filepath.Join(dir, filepath.Base(want))
			tc.plant(t, want)
			got, err := Install(dir)
			if err != nil {
				t.Fatal(err)
			}
			if (got == want) != tc.sameName {
				t.Errorf("Install = %q; content-addressed name %q reused: %v, want %v", got, want, got == want, tc.sameName)
			}
			assertObject(t, got)
			if victim, err := os.ReadFile(filepath.Join(dir, "victim")); err == nil && !bytes.Equal(victim, Object()) {
				t.Error("Install wrote through the symlink")
			}
		})
	}
}

func TestInstallRefusesSharedDirectories(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(dir); err == nil || !strings.Contains(err.Error(), "sticky") {
		t.Errorf("Install in a world-writable, non-sticky directory: %v, want an error about the sticky bit", err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(dir); err != nil {
		t.Errorf("Install in a sticky directory: %v", err)
	}
	if _, err := Install("relative/dir"); err == nil {
		t.Error("Install accepted a relative directory")
	}
}

// assertObject checks that path is a read-only regular file with the object.
func assertObject(t *testing.T, path string) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm() != 0o444 {
		t.Errorf("%s: mode %v, want a regular file with mode 0444", path, st.Mode())
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, Object()) {
		t.Errorf("%s does not hold the object (err %v)", path, err)
	}
}
