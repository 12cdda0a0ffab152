package driver

import (
	"io"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenPTY(t *testing.T) {
	master, peer, err := openPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer peer.Close()
	if err := resizePTY(master, 40, 50); err != nil {
		t.Fatal(err)
	}
	ws, err := unix.IoctlGetWinsize(int(peer.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		t.Fatal(err)
	}
	if ws.Row != 40 || ws.Col != 50 {
		t.Fatalf("peer sees %dx%d, want 50x40", ws.Col, ws.Row)
	}
	if _, err := peer.Write([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := io.ReadFull(master, buf); err != nil || string(buf) != "x\r\n" {
		t.Fatalf("master read %q, %v; want the tty's CRLF translation", buf, err)
	}
	if err := resizePTY(master, 0, 10); err == nil {
		t.Fatal("resizePTY accepted a zero height")
	}
}
