package nsexec

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// HeldFD is where init keeps the file handed over with [Process.HandOver]:
// the fd of its control socket, which the file replaces in one dup3, so
// that the number is never free for anything else in between. A driver
// records it and fetches the file again with [Process.GetFD] after a
// restart.
//
// The Nomad driver hands over a copy of the task's seccomp listener, which
// must outlive the plugin process so that a restarted plugin can resume
// supervising the task. Init never uses the file: it only keeps it open.
// Init is not dumpable, so neither the task (even as root, without
// CAP_SYS_PTRACE) nor anyone else without CAP_SYS_PTRACE can reach it
// through /proc/<pid>/fd, ptrace or pidfd_getfd.
const HeldFD = controlFD

// handOverByte is the one data byte of the hand-over message; the file, if
// any, travels with it as SCM_RIGHTS.
var handOverByte = []byte{'H'}

// HandOver gives init f to hold at [HeldFD] for the rest of its life (nil:
// nothing to hold) and ends the hand-over phase of an init started with
// [Config.Hold]. Until then init neither forwards signals nor reaps (the
// signals wait, none is lost), so call it as soon as the file is known.
// Closing the Process, or the driver's death, also ends the phase, with
// nothing held. It returns once init holds f (its end of the control
// socket closes as f replaces it), so [Process.GetFD] finds f right away.
// The caller keeps ownership of f.
func (p *Process) HandOver(f *os.File) error {
	p.handOverMu.Lock()
	defer p.handOverMu.Unlock()
	if p.handOver == nil {
		return errors.New("nsexec: hand-over: init was not started with Config.Hold, or the hand-over already happened")
	}
	defer func() { p.handOver.Close(); p.handOver = nil }()
	var oob []byte
	if f != nil {
		oob = unix.UnixRights(int(f.Fd()))
	}
	fd := int(p.handOver.Fd())
	for {
		err := unix.Sendmsg(fd, handOverByte, oob, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("nsexec: hand a file over to init %d: %w", p.Pid, err)
		}
		break
	}
	if err := readFull(fd, make([]byte, 1)); err != io.EOF {
		return fmt.Errorf("nsexec: hand a file over to init %d: wait for init to take it: got %v, want the end of the control socket", p.Pid, err)
	}
	return nil
}

// closeHandOver ends a pending hand-over phase with nothing held.
func (p *Process) closeHandOver() {
	p.handOverMu.Lock()
	defer p.handOverMu.Unlock()
	if p.handOver != nil {
		p.handOver.Close()
		p.handOver = nil
	}
}

// GetFD returns a close-on-exec duplicate of the process's file descriptor
// fd (pidfd_getfd), e.g. [HeldFD] of a task's init after a driver restart.
// It needs ptrace access to the process; init is not dumpable, so that
// takes CAP_SYS_PTRACE over the user namespace init runs in: a root
// driver has it, and so has an unprivileged driver over an init it created
// with [Config.UserNS], whose task has no capabilities there and no access
// (Yama's ptrace_scope must be below 3 either way).
func (p *Process) GetFD(fd int) (*os.File, error) {
	rc, err := p.pidfd.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("nsexec: fd %d of %d: %w", fd, p.Pid, err)
	}
	var got int
	var gerr error
	if err := rc.Control(func(pidfd uintptr) { got, gerr = unix.PidfdGetfd(int(pidfd), fd, 0) }); err != nil {
		return nil, fmt.Errorf("nsexec: fd %d of %d: %w", fd, p.Pid, err)
	}
	switch {
	case gerr == unix.EPERM:
		return nil, fmt.Errorf("nsexec: pidfd_getfd of fd %d of %d: %w (needs CAP_SYS_PTRACE, as the process is not dumpable, and Yama ptrace_scope below 3)", fd, p.Pid, gerr)
	case gerr == unix.ESRCH:
		return nil, fmt.Errorf("nsexec: pidfd_getfd of fd %d of %d: %w", fd, p.Pid, os.ErrProcessDone)
	case gerr != nil:
		return nil, fmt.Errorf("nsexec: pidfd_getfd of fd %d of %d: %w", fd, p.Pid, gerr)
	}
	return os.NewFile(uintptr(got), fmt.Sprintf("fd %d of %d", fd, p.Pid)), nil
}

// holdHandedOver is init's side of [Process.HandOver]: it waits for the
// driver's message on the control socket and keeps the file it carries at
// HeldFD, in place of the socket. Without a file (or when the driver went
// away) it just closes the socket.
func holdHandedOver() {
	buf := make([]byte, len(handOverByte))
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, err := recvmsgRetry(controlFD, buf, oob)
	var fds []int
	if err == nil {
		fds = rightsOf(oob[:oobn])
	}
	if n == len(handOverByte) && len(fds) == 1 && unix.Dup3(fds[0], HeldFD, unix.O_CLOEXEC) == nil {
		unix.Close(fds[0])
		return
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	unix.Close(controlFD)
}

// recvmsgRetry is recvmsg with received fds close-on-exec, retried on EINTR.
func recvmsgRetry(fd int, p, oob []byte) (n, oobn int, err error) {
	for {
		n, oobn, _, _, err = unix.Recvmsg(fd, p, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			return n, oobn, err
		}
	}
}

// rightsOf returns the fds of the SCM_RIGHTS messages in oob.
func rightsOf(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for _, m := range msgs {
		if got, err := unix.ParseUnixRights(&m); err == nil {
			fds = append(fds, got...)
		}
	}
	return fds
}
