package supervisor

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// socketPair returns the supervisor's end and the shim's end.
func socketPair(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	sup, shim := os.NewFile(uintptr(fds[0]), "supervisor"), os.NewFile(uintptr(fds[1]), "shim")
	t.Cleanup(func() { sup.Close(); shim.Close() })
	return sup, shim
}

func serveAsync(ctx context.Context, sock *os.File) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, sock, Config{}) }()
	return done
}

func waitServe(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
		return nil
	}
}

func TestServeStopsWithContext(t *testing.T) {
	sup, _ := socketPair(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := serveAsync(ctx, sup)
	cancel()
	if err := waitServe(t, done); !errors.Is(err, context.Canceled) {
		t.Errorf("Serve after cancel = %v, want context.Canceled", err)
	}
}

func TestServeShimGone(t *testing.T) {
	sup, shim := socketPair(t)
	done := serveAsync(t.Context(), sup)
	shim.Close()
	if err := waitServe(t, done); err == nil || !strings.Contains(err.Error(), "never installed its filter") {
		t.Errorf("Serve after the shim closed its end = %v, want an error saying no filter was installed", err)
	}
}

// TestServeRejectsBadHandoff: a message without exactly one fd, or with a
// description of another version, is refused.
func TestServeRejectsBadHandoff(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload string
		fds     []int
		want    string
	}{
		{"no fd", "pledge-filter-v1:0:1:0:1:0:0", nil, "want the filter description and one listener fd"},
		{"two fds", "pledge-filter-v1:0:1:0:1:0:0", []int{0, 1}, "want the filter description and one listener fd"},
		{"other version", "pledge-filter-v9", []int{0}, "same version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sup, shim := socketPair(t)
			var oob []byte
			if tc.fds != nil {
				oob = unix.UnixRights(tc.fds...)
			}
			if err := unix.Sendmsg(int(shim.Fd()), []byte(tc.payload), oob, nil, 0); err != nil {
				t.Fatal(err)
			}
			if err := waitServe(t, serveAsync(t.Context(), sup)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Serve = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
