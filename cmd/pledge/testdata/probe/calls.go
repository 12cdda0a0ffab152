package main

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// calls are the actions of the promise tests: each makes the one system call
// a promise grants (after setup that needs only other promises) and returns
// its error. The call under test is preceded by reach, so that a test
// expecting SIGSYS can tell the call from an earlier death.
var calls = map[string]func(arg string) error{
	"getpid":    func(string) error { reach(); syscall.Getpid(); return nil },
	"yield":     func(string) error { reach(); return errnoOf(unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)) },
	"mkfifo":    func(path string) error { reach(); return unix.Mknodat(unix.AT_FDCWD, path, unix.S_IFIFO|0o644, 0) },
	"utimes":    utimes,
	"flock":     flock,
	"tcp":       func(string) error { return socket(unix.AF_INET, unix.SOCK_STREAM) },
	"udp":       func(string) error { return socket(unix.AF_INET, unix.SOCK_DGRAM) },
	"unixsock":  func(string) error { return socket(unix.AF_UNIX, unix.SOCK_STREAM) },
	"udpsend":   udpSend,
	"accept":    accept,
	"tcgets":    tcgets,
	"recvmsg":   recvmsg,
	"sendmsg":   sendmsg,
	"fork":      fork,
	"setresuid": setresuid,
	"landlock":  landlock,
	"adjtime":   adjtime,
	"mprotect":  mprotectExec,
	"fchown":    fchown,
}

// setupError is a failure before the call under test; the probe exits 102.
type setupError struct{ err error }

func (e setupError) Error() string { return "setup: " + e.err.Error() }

func reach() { syscall.Write(2, []byte("probe: calling\n")) }

func errnoOf(_, _ uintptr, e syscall.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

func utimes(path string) error {
	now := []unix.Timespec{{Nsec: unix.UTIME_NOW}, {Nsec: unix.UTIME_NOW}}
	reach()
	return unix.UtimesNanoAt(unix.AT_FDCWD, path, now, 0)
}

// pipe returns the read end of a new pipe (stdio grants pipe2).
func pipe() (int, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, setupError{err}
	}
	return p[0], nil
}

func flock(string) error {
	fd, err := pipe()
	if err != nil {
		return err
	}
	reach()
	return unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
}

func fchown(string) error {
	fd, err := pipe()
	if err != nil {
		return err
	}
	reach()
	return unix.Fchown(fd, unix.Getuid(), unix.Getgid())
}

func socket(family, typ int) error {
	reach()
	_, err := unix.Socket(family, typ, 0)
	return err
}

// udpSend sends a datagram to the discard port on loopback, as a resolver
// sends a query: socket then sendto.
func udpSend(string) error {
	reach()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	return unix.Sendto(fd, []byte("q"), 0, &unix.SockaddrInet4{Port: 9, Addr: [4]byte{127, 0, 0, 1}})
}

// accept accepts on a non-blocking listening TCP socket with no client: the
// kernel answers EAGAIN.
func accept(string) error {
	reach()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return err
	}
	if err := unix.Listen(fd, 1); err != nil {
		return err
	}
	_, _, err = unix.Accept4(fd, 0)
	return err
}

// tcgets opens the pty master path and reads its terminal attributes.
func tcgets(path string) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return setupError{err}
	}
	reach()
	_, err = unix.IoctlGetTermios(fd, unix.TCGETS)
	return err
}

// socketPair returns both ends of a unix stream pair with one byte queued
// for the second.
func socketPair() ([2]int, error) {
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return p, setupError{err}
	}
	if _, err := unix.Write(p[0], []byte("x")); err != nil {
		return p, setupError{err}
	}
	return p, nil
}

func recvmsg(string) error {
	p, err := socketPair()
	if err != nil {
		return err
	}
	reach()
	_, _, _, _, err = unix.Recvmsg(p[1], make([]byte, 1), nil, 0)
	return err
}

// sendmsg passes stdout's descriptor over a socket pair.
func sendmsg(string) error {
	p, err := socketPair()
	if err != nil {
		return err
	}
	reach()
	return unix.Sendmsg(p[0], []byte("y"), unix.UnixRights(1), nil, 0)
}

// fork forks a child that exits at once and waits for it: clone with
// fork's flags, as glibc's fork does (arm64 has no fork call).
func fork(string) error {
	reach()
	pid, _, e := unix.RawSyscall6(unix.SYS_CLONE, uintptr(unix.SIGCHLD), 0, 0, 0, 0, 0)
	if e != 0 {
		return e
	}
	if pid == 0 {
		unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(int(pid), &ws, 0, nil); err != nil {
		return setupError{err}
	}
	if ws.ExitStatus() != 0 {
		return setupError{fmt.Errorf("child: %v", ws)}
	}
	return nil
}

// setresuid sets this thread's ids to what they are (no privilege needed);
// raw, because Go's Setresuid signals every thread to do the same.
func setresuid(string) error {
	r, e, s := unix.Getresuid()
	reach()
	return errnoOf(unix.RawSyscall(unix.SYS_SETRESUID, uintptr(r), uintptr(e), uintptr(s)))
}

// landlock asks for the Landlock ABI version (no ruleset is made).
func landlock(string) error {
	reach()
	return errnoOf(unix.RawSyscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION))
}

// adjtime reads the realtime clock's state: clock_adjtime with no modes
// changes nothing and needs no privilege.
func adjtime(string) error {
	var tx unix.Timex
	reach()
	_, err := unix.ClockAdjtime(unix.CLOCK_REALTIME, &tx)
	return err
}

// mprotectExec makes an anonymous page executable.
func mprotectExec(string) error {
	mem, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return setupError{err}
	}
	reach()
	return errnoOf(unix.RawSyscall(unix.SYS_MPROTECT, uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), unix.PROT_READ|unix.PROT_EXEC))
}
