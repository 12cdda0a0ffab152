package sandbox

import "golang.org/x/sys/unix"

// I/O priority encoding of ioprio_set(2).
const (
	ioprioWhoProcess = 1
	ioprioClassIdle  = 3
	ioprioClassShift = 13
)

// beVeryNice gives the calling thread, and so the program it becomes, the
// lowest CPU and I/O priority: nice 19, I/O class idle, SCHED_IDLE. All three
// calls act on the calling thread when given id 0.
func beVeryNice() error {
	if err := unix.Setpriority(unix.PRIO_PROCESS, 0, 19); err != nil {
		return fail(ExitNice, "setpriority(PRIO_PROCESS, 0, 19)", err)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, 0, ioprioClassIdle<<ioprioClassShift); e != 0 {
		return fail(ExitNice, "ioprio_set(IOPRIO_CLASS_IDLE)", e)
	}
	if err := unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0); err != nil {
		return fail(ExitNice, "sched_setattr(SCHED_IDLE)", err)
	}
	return nil
}
