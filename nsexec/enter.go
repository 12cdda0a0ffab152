package nsexec

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// taskNamespaces are the namespaces [Process.Enter] joins: all that [Start]
// may create, plus the network namespace init was created in.
const taskNamespaces = unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWNET

// ExecConfig is a command to run in a running task's namespaces (Nomad's
// ExecTask and ExecTaskStreaming): normally the shim again, with the task's
// own sandbox spec on fd 3.
type ExecConfig struct {
	Shim Shim
	// TTY: Stdin is a terminal that becomes the command's controlling
	// terminal. The command always gets a session of its own.
	TTY bool
	// Cgroup, when set, is the task's cgroup v2 directory, which the command
	// is cloned into. On cgroup v1 write the returned Pid to the task's
	// cgroup.procs files before writing the shim's spec: the shim blocks on
	// reading it, so it cannot fork before it is placed.
	Cgroup *os.File
}

// Enter starts c.Shim inside the pid, mount, ipc, uts and network namespaces
// of init p (see the package documentation for how, without re-exec). The
// command is the caller's child; [Process.Wait] returns its own exit status.
// Processes it leaves behind are reaped by the task's init.
func (p *Process) Enter(c *ExecConfig) (*Process, error) {
	foreign, err := p.foreignNamespaces()
	if err != nil {
		return nil, fmt.Errorf("nsexec: enter init %d: %w", p.Pid, err)
	}
	if foreign&unix.CLONE_NEWUSER != 0 {
		cmd, err := p.enterUserNS(c, foreign)
		if err != nil {
			return nil, fmt.Errorf("nsexec: enter init %d: %w", p.Pid, err)
		}
		if cmd.StartTime, err = startTime(cmd.Pid); err != nil {
			cmd.Kill()
			cmd.Wait(context.Background())
			cmd.Close()
			return nil, fmt.Errorf("nsexec: command %d entered into init %d: %w", cmd.Pid, p.Pid, err)
		}
		return cmd, nil
	}
	stdio, opened, err := c.Shim.stdioFiles()
	if err != nil {
		return nil, err
	}
	defer closeAll(opened)
	pidfd := -1
	sys := &syscall.SysProcAttr{Setsid: true, Setctty: c.TTY, Ctty: 0, PidFD: &pidfd}
	if c.Cgroup != nil {
		sys.UseCgroupFD, sys.CgroupFD = true, int(c.Cgroup.Fd())
	}
	exe := c.Shim.exe()
	argv := append([]string{exe}, c.Shim.Args...)
	attr := &syscall.ProcAttr{Env: c.Shim.Env, Files: append(stdio, fdsOf(c.Shim.ExtraFiles)...), Sys: sys}
	rc, err := p.pidfd.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("nsexec: enter init %d: %w", p.Pid, err)
	}
	var pid int
	var ferr error
	// Control keeps the pidfd open while the thread uses it.
	err = rc.Control(func(fd uintptr) { pid, ferr = forkOnThread(joinTask(int(fd), p.Pid), exe, argv, attr) })
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, fmt.Errorf("nsexec: enter init %d: %w", p.Pid, err)
	}
	cmd, err := newProcess(pid, pidfd, "")
	if err == nil {
		cmd.StartTime, err = startTime(pid)
	}
	if err != nil {
		unix.Kill(pid, unix.SIGKILL)
		unix.Wait4(pid, nil, 0, nil)
		return nil, fmt.Errorf("nsexec: command %d entered into init %d: %w", pid, p.Pid, err)
	}
	return cmd, nil
}

// joinTask returns the forkOnThread join function that moves the thread
// into init's namespaces. setns refuses a mount namespace to a thread that
// shares its fs_struct (root, cwd, umask) with other threads, which every Go
// thread does, hence unshare(CLONE_FS) first; setns on a pidfd then switches
// all namespaces at once.
func joinTask(pidfd, pid int) func() error {
	return func() error {
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			return fmt.Errorf("unshare(CLONE_FS): %w", err)
		}
		if err := unix.Setns(pidfd, taskNamespaces); err != nil {
			return fmt.Errorf("setns into the namespaces of %d: %w", pid, err)
		}
		return nil
	}
}
