package driver

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openPTY allocates a pseudo-terminal pair with ioctls on /dev/ptmx alone.
// The master is non-blocking, so it is pollable and an exec session can stop
// reading it even while processes the command left behind hold the terminal.
// The peer is opened with TIOCGPTPEER rather than by its /dev/pts path, so it
// works whatever /dev/pts the driver's mount namespace shows and cannot be
// raced by someone replacing the path.
func openPTY() (master, peer *os.File, err error) {
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("pty: open /dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(m)
		return nil, nil, fmt.Errorf("pty: unlock: %w", err)
	}
	p, err := openPeer(m)
	if err != nil {
		unix.Close(m)
		return nil, nil, fmt.Errorf("pty: open peer: %w", err)
	}
	return os.NewFile(uintptr(m), "/dev/ptmx"), os.NewFile(uintptr(p), "pty-peer"), nil
}

// openPeer is TIOCGPTPEER, whose argument is the open flags of the new fd
// (unix.IoctlRetInt would pass 0, i.e. O_RDONLY).
func openPeer(master int) (int, error) {
	flags := uintptr(unix.O_RDWR | unix.O_NOCTTY | unix.O_CLOEXEC)
	fd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, flags)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// resizePTY sets the terminal size the program sees (and sends it SIGWINCH).
func resizePTY(master *os.File, height, width int) error {
	if height <= 0 || width <= 0 || height > 0xffff || width > 0xffff {
		return fmt.Errorf("pty: terminal size %dx%d out of range", width, height)
	}
	ws := unix.Winsize{Row: uint16(height), Col: uint16(width)}
	return unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &ws)
}
