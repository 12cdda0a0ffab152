package supervisor

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// errStopped says Serve returned because its context ended.
var errStopped = errors.New("supervisor stopped")

// ErrNoListener is Serve's error when the shim closed the socket without
// sending a listener: it failed before installing its filter (and reports
// that itself), or it started a supervisor it turned out not to need.
var ErrNoListener = errors.New("supervisor socket closed before the listener arrived: the sandboxed program never installed its filter")

// maxPayload bounds the hand-off message (HandoffPayload is far shorter).
const maxPayload = 256

// handoff is what the shim sends: the listener, its pid and the filter's
// description.
type handoff struct {
	listener int
	pid      int // from SCM_CREDENTIALS, translated into this pid namespace; 0 if absent
	payload  []byte
}

// receiveListener waits on sock for the shim's message carrying the seccomp
// listener (SCM_RIGHTS). The pid comes from SCM_CREDENTIALS, which the
// kernel attaches (the shim sets SO_PASSCRED) and translates into this
// process's pid namespace.
func receiveListener(sock, wake int) (h handoff, err error) {
	if err := unix.SetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		return h, fmt.Errorf("supervisor socket: SO_PASSCRED: %w", err)
	}
	if err := waitReadable(sock, wake); err != nil {
		return h, err
	}
	buf := make([]byte, maxPayload)
	oob := make([]byte, unix.CmsgSpace(4*4)+unix.CmsgSpace(unix.SizeofUcred))
	n, oobn, _, _, err := recvmsg(sock, buf, oob)
	if err != nil {
		return h, fmt.Errorf("supervisor socket: receive listener: %w", err)
	}
	fds, pid, err := parseHandoff(oob[:oobn])
	if err != nil {
		return h, err
	}
	if len(fds) != 1 || n == 0 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		if n == 0 && len(fds) == 0 {
			return h, ErrNoListener
		}
		return h, fmt.Errorf("supervisor socket: got %d bytes and %d fds, want the filter description and one listener fd", n, len(fds))
	}
	return handoff{listener: fds[0], pid: pid, payload: buf[:n]}, nil
}

// recvmsg retries on EINTR; received fds are close-on-exec.
func recvmsg(fd int, p, oob []byte) (n, oobn, flags int, from unix.Sockaddr, err error) {
	for {
		n, oobn, flags, from, err = unix.Recvmsg(fd, p, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			return
		}
	}
}

// parseHandoff extracts the fds and the sender pid from control data.
func parseHandoff(oob []byte) (fds []int, pid int, err error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, 0, fmt.Errorf("supervisor socket: control data: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET {
			continue
		}
		switch m.Header.Type {
		case unix.SCM_RIGHTS:
			got, err := unix.ParseUnixRights(&m)
			if err != nil {
				return nil, 0, fmt.Errorf("supervisor socket: SCM_RIGHTS: %w", err)
			}
			fds = append(fds, got...)
		case unix.SCM_CREDENTIALS:
			if cred, err := unix.ParseUnixCredentials(&m); err == nil {
				pid = int(cred.Pid)
			}
		}
	}
	return fds, pid, nil
}

// waitReadable blocks until fd is readable or hung up, or wake is readable
// (the context ended).
func waitReadable(fd, wake int) error {
	_, err := pollPair(fd, wake)
	return err
}

// pollPair waits for fd or wake and returns fd's revents; errStopped if wake
// fired.
func pollPair(fd, wake int) (int16, error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(wake), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("supervisor: poll: %w", err)
		}
		if fds[1].Revents != 0 {
			return 0, errStopped
		}
		return fds[0].Revents, nil
	}
}
