package sandbox

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// The program starts with exactly fds 0, 1 and 2: openStandardFDs and
// closeInheritedFDs together normalise them.

// openStandardFDs reopens closed standard fds on /dev/null, so the
// program's first open cannot become its stdout. It runs first in Exec,
// before the shim opens anything that could land on a free 0, 1 or 2 (the
// program, the supervisor socket), and before a chroot that may lack
// /dev/null.
func openStandardFDs() error {
	for fd := 0; fd <= 2; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
			continue
		}
		got, err := unix.Open("/dev/null", unix.O_RDWR, 0)
		if err != nil {
			return fail(ExitDevNull, "open(/dev/null) for fd "+strconv.Itoa(fd), err)
		}
		if got != fd {
			unix.Close(got)
			return fail(ExitDevNullFD, "open(/dev/null) returned fd "+strconv.Itoa(got)+", want "+strconv.Itoa(fd), nil)
		}
	}
	return nil
}

// closeInheritedFDs marks every fd above 2 close-on-exec. Marking rather
// than closing keeps the fds the shim itself still needs until the exec
// (the program, the supervisor socket, the Go runtime's own) and still
// guarantees the program inherits none of them.
func closeInheritedFDs() error {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fail(ExitCloseFD, "close_range(3, ~0, CLOSE_RANGE_CLOEXEC)", err)
	}
	return nil
}
