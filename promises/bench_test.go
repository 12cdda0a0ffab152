package promises

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// benchSets are the promise sets the benchmarks compare.
var benchSets = []struct{ name, set string }{
	{"stdio", "stdio"},
	{"stdio_rpath", "stdio rpath"},
	{"stdio_rpath_inet_dns", "stdio rpath inet dns"},
	{"all23", "stdio rpath wpath cpath dpath flock fattr inet unix dns tty recvfd proc exec id unveil sendfd settime prot_exec vminfo tmppath chown anet"},
}

// BenchmarkCompile measures compile time per set, in wall and process CPU
// time, and reports the program size in instructions.
func BenchmarkCompile(b *testing.B) {
	for _, bs := range benchSets {
		s, err := Parse(bs.set)
		if err != nil {
			b.Fatal(err)
		}
		o := Options{Arch: NativeArch(), SelfPID: 1}
		b.Run(bs.name, func(b *testing.B) {
			var prog Program
			start := processCPU(b)
			for b.Loop() {
				prog, err = Compile(s, o)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(prog)), "instructions")
		})
	}
}

// processCPU returns the CPU time the process has used, in nanoseconds,
// counting the garbage collector's threads. On a loaded machine it is a
// steadier measure than wall time, which includes waiting for a core.
func processCPU(b *testing.B) int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchCalls are the calls BenchmarkSyscall times: one the kernel's action
// cache can prove allowed, one whose argument the filter must test.
var benchCalls = []struct {
	name       string
	nr, a0, a1 uintptr
}{
	{"getppid", unix.SYS_GETPPID, 0, 0},
	{"fcntl_F_GETFL", unix.SYS_FCNTL, 0, unix.F_GETFL},
}

// BenchmarkSyscall times each call with no filter and under each set, side
// by side. Filters go on a dedicated locked thread, which is discarded with
// them when its goroutine ends.
func BenchmarkSyscall(b *testing.B) {
	for _, call := range benchCalls {
		b.Run(call.name+"/none", func(b *testing.B) {
			runOnFilteredThread(b, nil, call.nr, call.a0, call.a1)
		})
		for _, bs := range benchSets {
			s, err := Parse(bs.set)
			if err != nil {
				b.Fatal(err)
			}
			prog, err := Compile(s, Options{Arch: NativeArch(), SelfPID: uint32(unix.Getpid())})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(call.name+"/"+bs.name, func(b *testing.B) {
				runOnFilteredThread(b, prog, call.nr, call.a0, call.a1)
				b.ReportMetric(float64(len(prog)), "instructions")
			})
		}
	}
}

// runOnFilteredThread installs prog (if any) on a fresh locked thread and
// makes the call b.N times there.
func runOnFilteredThread(b *testing.B, prog Program, nr, a0, a1 uintptr) {
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		if prog != nil {
			if err := installFilter(prog); err != nil {
				done <- err
				return
			}
		}
		b.ResetTimer()
		for range b.N {
			if _, _, e := unix.RawSyscall(nr, a0, a1, 0); e != 0 {
				b.StopTimer()
				done <- e
				return
			}
		}
		b.StopTimer()
		done <- nil
	}()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
