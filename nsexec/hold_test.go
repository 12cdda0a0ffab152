package nsexec

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHoldHandOver: init holds the handed-over file at HeldFD, a driver gets
// it back with GetFD (the same open file: what is written through it
// arrives), and init forwards signals and records the exit afterwards.
func TestHoldHandOver(t *testing.T) {
	tk := startTask(t, Config{Hold: true}, "usr1-exit", "7")
	if got := tk.line(t); got != "ready" {
		t.Fatalf("task said %q, want ready", got)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := tk.HandOver(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := tk.HandOver(nil); err == nil {
		t.Error("a second HandOver succeeded")
	}
	held, err := tk.GetFD(HeldFD)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := held.WriteString("held"); err != nil {
		t.Fatal(err)
	}
	held.Close()
	buf := make([]byte, 4)
	if _, err := r.Read(buf); err != nil || string(buf) != "held" {
		t.Fatalf("read %q, %v through the pipe init holds, want \"held\"", buf, err)
	}
	if err := tk.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if st, err := tk.wait(t); err != nil || st.Code != 7 {
		t.Fatalf("exit %v, %v; want exit code 7", st, err)
	}
}

// TestHoldNothing: handing over nothing, or closing the Process before the
// hand-over (the driver going away), leaves HeldFD closed in init, which
// goes on forwarding and reaping.
func TestHoldNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(*Process) error
	}{
		{"nil", func(p *Process) error { return p.HandOver(nil) }},
		{"close", func(p *Process) error { p.closeHandOver(); return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := startTask(t, Config{Hold: true}, "usr1-exit", "3")
			if got := tk.line(t); got != "ready" {
				t.Fatalf("task said %q, want ready", got)
			}
			if err := tc.end(tk.Process); err != nil {
				t.Fatal(err)
			}
			if err := tk.Signal(syscall.SIGUSR1); err != nil {
				t.Fatal(err)
			}
			if st, err := tk.wait(t); err != nil || st.Code != 3 {
				t.Fatalf("exit %v, %v; want exit code 3", st, err)
			}
		})
	}
}

// TestHoldEmptyAfterNil: after a hand-over of nothing, HeldFD is closed in
// init (GetFD fails with EBADF), so no stale control socket lingers there.
func TestHoldEmptyAfterNil(t *testing.T) {
	tk := startTask(t, Config{Hold: true}, "wait")
	if err := tk.HandOver(nil); err != nil {
		t.Fatal(err)
	}
	f, err := tk.GetFD(HeldFD)
	if err == nil {
		f.Close()
	}
	if !errors.Is(err, unix.EBADF) {
		t.Fatalf("GetFD(HeldFD) after handing over nothing = %v, want EBADF", err)
	}
}

// TestHandOverWithoutHold: HandOver on an init started without Hold is an
// error naming the cause.
func TestHandOverWithoutHold(t *testing.T) {
	tk := startTask(t, Config{}, "wait")
	if err := tk.HandOver(nil); err == nil {
		t.Fatal("HandOver without Config.Hold succeeded")
	}
}
