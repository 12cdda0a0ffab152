package nsexec

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestOnSpareThreadAvoidsMainThread: fn never runs on the main thread, even
// though the runtime readily schedules a new locked goroutine there when the
// main thread is idle.
func TestOnSpareThreadAvoidsMainThread(t *testing.T) {
	for range 50 {
		var tid int
		onSpareThread(func() { tid = unix.Gettid() })
		if tid == unix.Getpid() {
			t.Fatal("fn ran on the main thread")
		}
	}
}
