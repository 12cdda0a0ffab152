package nsexec

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestInitConfinedWhenStartReturns: by the time Start returns, init holds
// only CAP_KILL, nothing inheritable or ambient, has no_new_privs set and
// is not dumpable. Callers rely on it to let the task run only then.
func TestInitConfinedWhenStartReturns(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
	}{
		{"private", Config{}},
		{"host pid", Config{HostPID: true}},
		{"hold", Config{Hold: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := startTask(t, tc.c, "wait")
			status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tk.Pid))
			if err != nil {
				t.Fatal(err)
			}
			for key, want := range map[string]string{
				"CapEff":     "0000000000000020", // CAP_KILL only
				"CapPrm":     "0000000000000020",
				"CapInh":     "0000000000000000",
				"CapAmb":     "0000000000000000",
				"NoNewPrivs": "1",
			} {
				if got := statusValue(string(status), key); got != want {
					t.Errorf("init has %s=%q, want %q", key, got, want)
				}
			}
			fd := fmt.Sprintf("/proc/%d/fd/0", tk.Pid)
			if err := readlinkWithoutPtraceCap(fd); err != unix.EACCES {
				t.Errorf("readlink %s as root without CAP_SYS_PTRACE: %v, want EACCES (init not dumpable)", fd, err)
			}
			// End the task through init: killing init alone would leave
			// a task in the host's pid namespace running.
			if tc.c.Hold {
				if err := tk.HandOver(nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := tk.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if st, err := tk.wait(t); err != nil || st.Signal != syscall.SIGTERM {
				t.Errorf("exit %v, %v; want killed by SIGTERM", st, err)
			}
		})
	}
}

// statusValue is one field of a /proc status file, "" when absent.
func statusValue(status, key string) string {
	for _, line := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// readlinkWithoutPtraceCap reads the link path as a root task without
// CAP_SYS_PTRACE would, from a thread that drops it from its effective set
// and is thrown away afterwards, and returns the error. Init's fd links are
// open to such a reader if init is dumpable: both run as root, and what
// init may still use (CAP_KILL) is a subset of what the reader has.
func readlinkWithoutPtraceCap(path string) error {
	var err error
	onSpareThread(func() {
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var caps [2]unix.CapUserData
		if err = unix.Capget(&hdr, &caps[0]); err != nil {
			return
		}
		caps[0].Effective &^= 1 << unix.CAP_SYS_PTRACE
		if err = unix.Capset(&hdr, &caps[0]); err != nil {
			return
		}
		_, err = unix.Readlink(path, make([]byte, 256))
	})
	return err
}
