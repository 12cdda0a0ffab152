package driver

import (
	"errors"
	"os"
	"os/signal"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// ProbeArg is argv[1] of the selftest's probe program (this binary again),
// dispatched by main to ProbeMain.
const ProbeArg = "__probe"

// ProbeMain performs one action inside a sandbox and exits with the errno
// it got (0 for success), so the selftest can assert the exact errno:
//
//	__probe socket        socket(AF_INET, SOCK_STREAM)
//	__probe usr1-socket   print "ready", wait for SIGUSR1, then socket(AF_INET, SOCK_STREAM)
//	__probe read PATH     open(PATH, O_RDONLY)
//	__probe pid           exit 0 if the parent is PID 1: init of a private pid namespace
//	__probe ignore-term   ignore SIGTERM, print "ready pid=<pid>" and sleep forever
//	__probe alloc MIB     touch MIB MiB of memory, then exit 0
func ProbeMain(args []string) int {
	if len(args) == 0 {
		return int(unix.EINVAL)
	}
	switch args[0] {
	case "socket":
		return socketErrno()
	case "usr1-socket":
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, unix.SIGUSR1)
		os.Stdout.WriteString("ready\n")
		<-usr1
		return socketErrno()
	case "read":
		if len(args) != 2 {
			return int(unix.EINVAL)
		}
		fd, err := unix.Open(args[1], unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		return errnoOf(err)
	case "ignore-term":
		signal.Ignore(unix.SIGTERM)
		os.Stdout.WriteString("ready pid=" + strconv.Itoa(os.Getpid()) + "\n")
		for {
			time.Sleep(time.Hour)
		}
	case "alloc":
		if len(args) != 2 {
			return int(unix.EINVAL)
		}
		mib, err := strconv.Atoi(args[1])
		if err != nil {
			return int(unix.EINVAL)
		}
		return touch(mib)
	case "pid":
		if os.Getppid() == 1 {
			return 0
		}
		os.Stderr.WriteString("pid " + strconv.Itoa(os.Getpid()) + ", parent " + strconv.Itoa(os.Getppid()) + "\n")
		return int(unix.ESRCH)
	}
	return int(unix.EINVAL)
}

// socketErrno tries socket(AF_INET, SOCK_STREAM), which only inet allows.
func socketErrno() int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	return errnoOf(err)
}

// errnoOf is err's errno, 0 for nil and EIO for anything else.
func errnoOf(err error) int {
	if err == nil {
		return 0
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return int(errno)
	}
	return int(unix.EIO)
}

// touch allocates mib MiB and writes every page, so the memory is charged.
func touch(mib int) int {
	var keep [][]byte
	for i := 0; i < mib; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		keep = append(keep, b)
	}
	return len(keep) - mib
}
