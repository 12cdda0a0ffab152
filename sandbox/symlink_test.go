package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func TestFollowLinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"abs":      target,
		"rel":      "target",
		"chain":    "rel",
		"dangling": "missing",
		"loop1":    "loop2",
		"loop2":    "loop1",
		"pipe":     "pipe:[12345]",
	}
	for name, to := range links {
		if err := os.Symlink(to, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		path    string
		want    string
		wantOK  bool
		wantErr error
	}{
		{path: target, want: target, wantOK: true},
		{path: filepath.Join(dir, "abs"), want: target, wantOK: true},
		{path: filepath.Join(dir, "rel"), want: target, wantOK: true},
		{path: filepath.Join(dir, "chain"), want: target, wantOK: true},
		{path: filepath.Join(dir, "dangling")},
		{path: filepath.Join(dir, "pipe")},
		{path: filepath.Join(dir, "nothing")},
		{path: filepath.Join(dir, "loop1"), wantErr: unix.ELOOP},
		{path: "/proc/self", want: "/proc/self", wantOK: true},
		{path: "/proc/thread-self/", want: "/proc/thread-self/", wantOK: true},
		{path: "/proc/self/fd", want: "/proc/self/fd", wantOK: true},
	} {
		if tc.want != "" {
			var st unix.Stat_t
			if err := unix.Stat(tc.path, &st); err != nil {
				t.Fatal(err)
			}
			if r, _, _ := followLinks(tc.path); r.isDir != (st.Mode&unix.S_IFMT == unix.S_IFDIR) {
				t.Errorf("followLinks(%q) isDir = %v", tc.path, r.isDir)
			}
		}
		r, ok, err := followLinks(tc.path)
		if !errors.Is(err, tc.wantErr) || r.path != tc.want || ok != tc.wantOK {
			t.Errorf("followLinks(%q) = %q, %v, %v; want %q, %v, %v", tc.path, r.path, ok, err, tc.want, tc.wantOK, tc.wantErr)
		}
		if ok && !isProcSelf(tc.path) { // thread-self differs per thread
			var byFD, byPath unix.Stat_t
			if err := unix.Fstat(r.fd, &byFD); err != nil || unix.Stat(tc.path, &byPath) != nil || byFD.Ino != byPath.Ino {
				t.Errorf("followLinks(%q): fd %d is not the file the path names (%v)", tc.path, r.fd, err)
			}
		}
		if ok {
			unix.Close(r.fd)
		}
	}
}

// A standard fd that is a pipe resolves to nothing Landlock could hold a
// rule for, instead of failing.
func TestFollowLinksPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	path := "/proc/self/fd/" + strconv.Itoa(int(r.Fd()))
	if got, ok, err := followLinks(path); ok || err != nil {
		t.Errorf("followLinks(%s) = %q, %v, %v; want not ok", path, got.path, ok, err)
	}
}
