package driver

import (
	"io"
	"os"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/sandbox"
)

// TestSpecPipeHoldsSpecUntilSent: the shim finds nothing to read before
// send (startInit sends once init has confined itself), then the whole
// spec, ended by EOF; a spec never sent ends in EOF once closed.
func TestSpecPipeHoldsSpecUntilSent(t *testing.T) {
	spec := &sandbox.Spec{Argv: []string{"/bin/true"}, Env: []string{"A=" + string(make([]byte, 1<<17))}}
	for _, sent := range []bool{true, false} {
		p, err := newSpecPipe(spec)
		if err != nil {
			t.Fatal(err)
		}
		// The shim's copy of the read end, blocking, as the shim reads
		// it, after one non-blocking read.
		fd, err := unix.Dup(int(p.r.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Read(fd, make([]byte, 1)); err != unix.EAGAIN {
			t.Fatalf("read before send: %v, want EAGAIN (nothing written yet)", err)
		}
		if err := unix.SetNonblock(fd, false); err != nil {
			t.Fatal(err)
		}
		r := os.NewFile(uintptr(fd), "shim's spec fd")
		if sent {
			p.send()
		}
		p.close()
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		switch want := p.data; {
		case sent && !slices.Equal(got, want):
			t.Errorf("shim read %d bytes, want the %d of the spec", len(got), len(want))
		case !sent && len(got) != 0:
			t.Errorf("shim read %d bytes of a spec never sent", len(got))
		}
	}
}
