package promises

import (
	"runtime"
	"slices"
	"testing"
	"time"

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

// syscallBatch is how many calls BenchmarkSyscall times at a stretch.
const syscallBatch = 1000

// BenchmarkSyscall times each call under each set against the same call on
// an unfiltered thread, side by side: the two threads take turns, one batch
// each, so both see the same machine load. It reports ns/op for the filtered
// call and, as medians over the batch pairs, the nanoseconds the filter adds
// per call in wall time (added-ns/op) and in thread CPU time
// (added-cpu-ns/op, which leaves out time spent waiting for a core).
//
// Each call also runs under allow_all, a one-instruction "return ALLOW"
// filter: what any filter costs a call on this kernel, the floor the sets'
// added times are to be read against.
func BenchmarkSyscall(b *testing.B) {
	allowAll := Program{{Op: bpfReturn, K: uint32(ActionAllow)}}
	for _, call := range benchCalls {
		b.Run(call.name+"/allow_all", func(b *testing.B) {
			compareCalls(b, allowAll, call.nr, call.a0, call.a1)
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
				compareCalls(b, prog, call.nr, call.a0, call.a1)
				b.ReportMetric(float64(len(prog)), "instructions")
			})
		}
	}
}

// compareCalls makes the call b.N times on an unfiltered and on a filtered
// thread, alternating batches, and reports the times.
//
// The benchmark timer runs throughout, so that b.N grows by the real time
// the pairs take; the reported ns/op replaces its reading.
func compareCalls(b *testing.B, prog Program, nr, a0, a1 uintptr) {
	base := startCaller(b, nil, nr, a0, a1)
	defer base.stop()
	filtered := startCaller(b, prog, nr, a0, a1)
	defer filtered.stop()
	var wall, baseCPU, addedWall, addedCPU []float64
	for done := 0; done < b.N; {
		n := min(syscallBatch, b.N-done)
		tb := base.time(n)
		tf := filtered.time(n)
		wall = append(wall, perCall(tf.wall, n))
		baseCPU = append(baseCPU, perCall(tb.cpu, n))
		addedWall = append(addedWall, perCall(tf.wall-tb.wall, n))
		addedCPU = append(addedCPU, perCall(tf.cpu-tb.cpu, n))
		done += n
	}
	b.ReportMetric(median(wall), "ns/op")
	b.ReportMetric(median(baseCPU), "base-cpu-ns/op")
	b.ReportMetric(median(addedWall), "added-ns/op")
	b.ReportMetric(median(addedCPU), "added-cpu-ns/op")
}

// perCall divides a batch's time by its calls.
func perCall(d time.Duration, n int) float64 { return float64(d.Nanoseconds()) / float64(n) }

// median returns the median of xs, which it sorts.
func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// batchTime is how long a batch of calls took.
type batchTime struct{ wall, cpu time.Duration }

// caller makes one call in batches on its own locked thread, which carries
// a filter or none; the thread is discarded, with its filter, by stop.
type caller struct {
	batches chan int
	times   chan batchTime
	errs    chan error
}

// startCaller starts a caller thread and installs prog (if any) there.
func startCaller(b *testing.B, prog Program, nr, a0, a1 uintptr) *caller {
	c := &caller{batches: make(chan int), times: make(chan batchTime), errs: make(chan error, 1)}
	go c.loop(prog, nr, a0, a1)
	if err := <-c.errs; err != nil {
		b.Fatal(err)
	}
	return c
}

// loop is the caller thread: it reports setup, then times each batch asked
// for. The thread stays locked, so it exits with the goroutine.
func (c *caller) loop(prog Program, nr, a0, a1 uintptr) {
	runtime.LockOSThread()
	if prog != nil {
		if err := installFilter(prog); err != nil {
			c.errs <- err
			return
		}
	}
	if _, _, e := unix.RawSyscall(nr, a0, a1, 0); e != 0 {
		c.errs <- e
		return
	}
	c.errs <- nil
	for n := range c.batches {
		cpu0 := threadCPU()
		wall0 := time.Now()
		for range n {
			unix.RawSyscall(nr, a0, a1, 0)
		}
		c.times <- batchTime{wall: time.Since(wall0), cpu: threadCPU() - cpu0}
	}
}

// time makes n calls on c's thread and returns how long they took.
func (c *caller) time(n int) batchTime {
	c.batches <- n
	return <-c.times
}

// stop ends c's thread.
func (c *caller) stop() { close(c.batches) }

// threadCPU returns the CPU time the calling thread has used.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}
