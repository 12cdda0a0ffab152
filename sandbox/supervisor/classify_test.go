package supervisor

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/promises"
)

const taskPID = 4242

// call builds the seccomp_data of a native x86_64 call.
func call(t *testing.T, name string, args ...uint64) promises.Data {
	t.Helper()
	nr, ok := promises.SyscallNumber(promises.AMD64, name)
	if !ok {
		t.Fatalf("no system call %q", name)
	}
	d := promises.Data{Nr: nr, Arch: promises.AuditArch(promises.AMD64)}
	copy(d.Args[:], args)
	return d
}

func loaderConfig(set promises.Set, loader promises.Set) Config {
	return Config{
		Arch: promises.AMD64,
		Set:  set,
		Options: promises.Options{
			Arch: promises.AMD64, Penalty: promises.PenaltyNotify, SelfPID: taskPID,
			Loader: loader, FileExec: true,
		},
	}
}

func TestClassify(t *testing.T) {
	atFDCWD := uint64(0xffffff9c) // AT_FDCWD as the kernel passes it
	type step struct {
		pid  int
		d    promises.Data
		want verdict
	}
	for _, tc := range []struct {
		name  string
		cfg   Config
		steps func(t *testing.T) []step
	}{
		{"loader phase lets the loader read, only the loader, only rpath", loaderConfig(promises.Stdio, promises.Rpath), func(t *testing.T) []step {
			return []step{
				{taskPID, call(t, "openat", atFDCWD, 0, unix.O_RDONLY|unix.O_CLOEXEC), verdictContinue},
				{taskPID, call(t, "newfstatat", atFDCWD, 0, 0, 0), verdictContinue},
				{taskPID + 1, call(t, "openat", atFDCWD, 0, unix.O_RDONLY), verdictDeny},
				{taskPID, call(t, "openat", atFDCWD, 0, unix.O_WRONLY|unix.O_CREAT), verdictDeny},
				{taskPID, call(t, "socket", unix.AF_INET, unix.SOCK_STREAM, 0), verdictDeny},
				{taskPID, call(t, "execve", 0, 0, 0), verdictDeny},
				{taskPID, call(t, "execveat", 3, 0, 0, 0, unix.AT_EMPTY_PATH, 0x1234), verdictDeny},
			}
		}},
		{"the preload's prctl ends the loader phase", loaderConfig(promises.Stdio, promises.Rpath), func(t *testing.T) []step {
			return []step{
				{taskPID, call(t, "openat", atFDCWD, 0, unix.O_RDONLY), verdictContinue},
				{taskPID, call(t, "prctl", promises.LoaderDoneOption), verdictSucceed},
				{taskPID, call(t, "openat", atFDCWD, 0, unix.O_RDONLY), verdictDeny},
				{taskPID, call(t, "prctl", promises.LoaderDoneOption), verdictSucceed},
			}
		}},
		{"another thread may end the phase early", loaderConfig(promises.Stdio, promises.Rpath), func(t *testing.T) []step {
			return []step{
				{taskPID + 1, call(t, "prctl", promises.LoaderDoneOption), verdictSucceed},
				{taskPID, call(t, "openat", atFDCWD, 0, unix.O_RDONLY), verdictDeny},
			}
		}},
		{"without a loader phase the marker is a violation", loaderConfig(promises.Stdio|promises.Rpath, 0), func(t *testing.T) []step {
			return []step{
				{taskPID, call(t, "prctl", promises.LoaderDoneOption), verdictDeny},
				{taskPID, call(t, "openat", atFDCWD, 0, unix.O_RDONLY), verdictDeny},
			}
		}},
		{"calls the filter allows are never granted here", loaderConfig(promises.Stdio, promises.Rpath), func(t *testing.T) []step {
			return []step{
				{taskPID, call(t, "write", 1, 0, 1), verdictDeny},
			}
		}},
		{"other architectures are not the loader's", loaderConfig(promises.Stdio, promises.Rpath), func(t *testing.T) []step {
			d := call(t, "openat", atFDCWD, 0, unix.O_RDONLY)
			d.Arch = 0x40000003 // AUDIT_ARCH_I386
			return []step{{taskPID, d, verdictDeny}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClassifier(tc.cfg, taskPID)
			for i, s := range tc.steps(t) {
				if got := c.classify(s.pid, s.d); got != s.want {
					t.Errorf("step %d: %s by pid %d = %v, want %v", i, promises.SyscallName(promises.AMD64, s.d.Nr), s.pid, got, s.want)
				}
			}
		})
	}
}

// TestClassifyNoLoaderPID: without a known loader pid the phase never
// starts, so the program cannot load (fail closed).
func TestClassifyNoLoaderPID(t *testing.T) {
	c := newClassifier(loaderConfig(promises.Stdio, promises.Rpath), 0)
	if got := c.classify(0, call(t, "openat", 0xffffff9c, 0, unix.O_RDONLY)); got != verdictDeny {
		t.Errorf("openat with no loader pid = %v, want deny", got)
	}
}
