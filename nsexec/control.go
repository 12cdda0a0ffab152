package nsexec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

// Init's file descriptors, fixed by [Start]. The shim's ExtraFiles follow
// from firstShimFD on.
const (
	controlFD   = 3 // stream socket to the driver: spec in, setup result out
	statusDirFD = 4 // O_PATH directory of StatusPath, opened by the driver
	firstShimFD = 5
)

// maxFrame bounds a control message (the shim's argv and environment).
const maxFrame = 16 << 20

// initSpec is what the driver tells init, once init exists (and has been
// placed in its cgroups): it doubles as the "go" signal.
type initSpec struct {
	// PrivateMount: make every mount a slave of the host's, so nothing init
	// or the task mounts propagates back.
	PrivateMount bool `json:"private_mount"`
	// MountProc: mount a fresh /proc for the private pid namespace.
	MountProc bool `json:"mount_proc"`
	// Subreaper: init shares the host pid namespace and adopts orphans with
	// PR_SET_CHILD_SUBREAPER instead of being PID 1.
	Subreaper  bool     `json:"subreaper"`
	Hostname   string   `json:"hostname"`
	StatusName string   `json:"status_name"`
	Argv       []string `json:"argv"`
	Env        []string `json:"env"`
	ExtraFiles int      `json:"extra_files"`
	// Hold: wait for a file to hold (Process.HandOver) on the control
	// socket once the shim runs.
	Hold bool `json:"hold,omitempty"`
	// ConfineFirst: confine init before starting the shim, which then
	// inherits no capability. In a user namespace the shim needs none of
	// init's: it cannot change identity there.
	ConfineFirst bool `json:"confine_first,omitempty"`
}

// sendFrame writes a length-prefixed message. MSG_NOSIGNAL: a peer that is
// gone must give EPIPE, never a SIGPIPE that init would forward to the task.
func sendFrame(fd int, msg []byte) error {
	buf := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(msg)), uint32(len(msg)))
	buf = append(buf, msg...)
	for len(buf) > 0 {
		n, err := unix.SendmsgN(fd, buf, nil, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		buf = buf[n:]
	}
	return nil
}

// recvFrame reads one message written by sendFrame. io.EOF means the peer
// closed the socket before sending anything.
func recvFrame(fd int) ([]byte, error) {
	var head [4]byte
	if err := readFull(fd, head[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(head[:])
	if n > maxFrame {
		return nil, fmt.Errorf("control message of %d bytes exceeds the %d byte limit", n, maxFrame)
	}
	msg := make([]byte, n)
	if err := readFull(fd, msg); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return msg, nil
}

func readFull(fd int, buf []byte) error {
	for done := 0; done < len(buf); {
		n, err := unix.Read(fd, buf[done:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return err
		case n == 0 && done == 0:
			return io.EOF
		case n == 0:
			return io.ErrUnexpectedEOF
		}
		done += n
	}
	return nil
}

// errInitGone is recvFrame's EOF as seen by Start: init exited during setup.
var errInitGone = errors.New("init exited before reporting its setup result")
