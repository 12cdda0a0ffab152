package sandbox

import (
	"testing"

	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

func TestParseUnveil(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Unveil
		wantErr bool
	}{
		{in: "/etc", want: Unveil{PermRead, "/etc"}},
		{in: "rw:/tmp", want: Unveil{PermRead | PermWrite, "/tmp"}},
		{in: "cxwr:/srv", want: Unveil{PermRead | PermWrite | PermExec | PermCreate, "/srv"}},
		{in: "rr:/x", want: Unveil{PermRead, "/x"}},
		{in: ":/hidden", want: Unveil{0, "/hidden"}},
		{in: "r:/a:b", want: Unveil{PermRead, "/a:b"}},
		{in: "relative/path", want: Unveil{PermRead, "relative/path"}},
		{in: "rwz:/x", wantErr: true},
		{in: "/a:b", wantErr: true}, // PERM "/a" is not letters
		{in: "r:", wantErr: true},
		{in: "", wantErr: true},
		{in: "R:/x", wantErr: true},
	} {
		got, err := ParseUnveil(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseUnveil(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseUnveil(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestPermString(t *testing.T) {
	for _, tc := range []struct {
		p    Perm
		want string
	}{{0, ""}, {PermRead, "r"}, {PermCreate | PermRead, "rc"}, {PermRead | PermWrite | PermExec | PermCreate, "rwxc"}} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("Perm(%d).String() = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestPermAccess(t *testing.T) {
	for _, tc := range []struct {
		p    Perm
		want uint64
	}{
		{PermRead, ll.AccessFSReadFile | ll.AccessFSReadDir | ll.AccessFSRefer},
		{PermWrite, ll.AccessFSWriteFile | ll.AccessFSTruncate},
		{PermExec, ll.AccessFSExecute},
		{PermCreate, ll.AccessFSMakeChar | ll.AccessFSMakeDir | ll.AccessFSMakeReg | ll.AccessFSMakeSock |
			ll.AccessFSMakeFifo | ll.AccessFSMakeBlock | ll.AccessFSMakeSym | ll.AccessFSRemoveFile | ll.AccessFSRemoveDir},
	} {
		if got := uint64(tc.p.access()); got != tc.want {
			t.Errorf("%v.access() = %#x, want %#x", tc.p, got, tc.want)
		}
	}
	if accessHandled&ll.AccessFSIoctlDev != 0 {
		t.Error("IOCTL_DEV must stay unhandled, as in the reference")
	}
	if got, want := (accessExec | accessFS(ll.AccessFSTruncate) | 1<<40).String(), "{execute,truncate,0x10000000000}"; got != want {
		t.Errorf("accessFS.String() = %q, want %q", got, want)
	}
}

func FuzzParseUnveil(f *testing.F) {
	for _, s := range []string{"/etc", "rwxc:/tmp", ":/x", "r:", "q:/x", "r:/a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUnveil(s)
		if err != nil {
			return
		}
		if u.Path == "" || u.Perm > PermRead|PermWrite|PermExec|PermCreate {
			t.Fatalf("ParseUnveil(%q) = %+v: empty path or unknown letters", s, u)
		}
		again, err := ParseUnveil(u.String())
		if err != nil || again != u {
			t.Fatalf("ParseUnveil(%q) = %+v, whose String %q parses to %+v, %v", s, u, u.String(), again, err)
		}
	})
}
