package nsexec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// namespaceKinds are the namespaces a command entered into a task may have
// to join, user namespace first.
var namespaceKinds = []struct {
	name string
	flag uintptr
}{
	{"user", unix.CLONE_NEWUSER},
	{"pid", unix.CLONE_NEWPID},
	{"mnt", unix.CLONE_NEWNS},
	{"ipc", unix.CLONE_NEWIPC},
	{"uts", unix.CLONE_NEWUTS},
	{"net", unix.CLONE_NEWNET},
}

// foreignNamespaces returns the CLONE_NEW* flags of init's namespaces that
// differ from the driver's. Reading /proc/<pid>/ns of the non-dumpable init
// needs ptrace access, which a root driver has, and so has an unprivileged
// one over an init in a user namespace it created: it holds every
// capability there.
func (p *Process) foreignNamespaces() (uintptr, error) {
	var flags uintptr
	for _, ns := range namespaceKinds {
		theirs, err := os.Stat(fmt.Sprintf("/proc/%d/ns/%s", p.Pid, ns.name))
		if err != nil {
			return 0, fmt.Errorf("%s namespace of init: %w", ns.name, err)
		}
		ours, err := os.Stat("/proc/self/ns/" + ns.name)
		if err != nil {
			return 0, fmt.Errorf("own %s namespace: %w", ns.name, err)
		}
		if !os.SameFile(theirs, ours) {
			flags |= ns.flag
		}
	}
	return flags, nil
}

// enterUserNS is [Process.Enter] for an init in a user namespace of its own
// ([Config.UserNS]). setns into a user namespace refuses a multithreaded
// caller, and every Go process is one, so a raw forked copy of the calling
// thread (the joiner) joins the namespaces in flags and forks the command
// with CLONE_PARENT, making it the driver's child in the task's pid
// namespace (see enterchild.go). A pipe carries the command's pid, or the
// step that failed, back; its end of file means the command has exec'd.
func (p *Process) enterUserNS(c *ExecConfig, flags uintptr) (*Process, error) {
	stdio, opened, err := c.Shim.stdioFiles()
	if err != nil {
		return nil, err
	}
	defer closeAll(opened)
	exe := c.Shim.exe()
	a, err := newEnterArgs(exe, append([]string{exe}, c.Shim.Args...), c.Shim.Env, append(stdio, fdsOf(c.Shim.ExtraFiles)...))
	if err != nil {
		return nil, err
	}
	a.nsFlags, a.setctty = flags, c.TTY
	if c.Cgroup != nil {
		a.clone.flags |= unix.CLONE_INTO_CGROUP
		a.clone.cgroup = uint64(c.Cgroup.Fd())
	}
	r, err := a.openReport()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rc, err := p.pidfd.SyscallConn()
	if err != nil {
		unix.Close(int(a.report))
		return nil, err
	}
	var joiner uintptr
	var ferr error
	err = rc.Control(func(fd uintptr) {
		a.initPidfd = fd
		joiner, ferr = forkJoiner(a)
	})
	unix.Close(int(a.report))
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, fmt.Errorf("fork: %w", err)
	}
	pid, err := collectEnterReports(r)
	reapPid(int(joiner))
	if err != nil {
		if pid > 0 {
			reapPid(pid)
		}
		return nil, err
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		unix.Kill(pid, unix.SIGKILL)
		reapPid(pid)
		return nil, fmt.Errorf("pidfd_open of command %d: %w", pid, err)
	}
	return newProcess(pid, pidfd, "")
}

// newEnterArgs prepares the children's arguments: C strings of the command
// and the fds it gets.
func newEnterArgs(exe string, argv, env []string, files []uintptr) (*enterArgs, error) {
	path, err := syscall.BytePtrFromString(exe)
	if err != nil {
		return nil, fmt.Errorf("command path: %w", err)
	}
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return nil, fmt.Errorf("command arguments: %w", err)
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return nil, fmt.Errorf("command environment: %w", err)
	}
	a := &enterArgs{
		allMask: ^uint64(0),
		dfl:     kernelSigaction{handler: rawSigDFL},
		ign:     kernelSigaction{handler: rawSigIGN},
		clone:   cloneArgs{exitSignal: uint64(unix.SIGCHLD)},
		path:    path,
		argv:    &argvp[0],
		envp:    &envp[0],
		files:   make([]int32, len(files)),
		moved:   make([]int32, len(files)),
	}
	for i, fd := range files {
		a.files[i] = int32(fd)
	}
	return a, nil
}

// openReport creates the report pipe. The children's end is placed above
// every fd the command gets, so the command's dup3 calls never replace it.
func (a *enterArgs) openReport() (*os.File, error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("report pipe: %w", err)
	}
	w, err := unix.FcntlInt(uintptr(fds[1]), unix.F_DUPFD_CLOEXEC, len(a.files))
	unix.Close(fds[1])
	if err != nil {
		unix.Close(fds[0])
		return nil, fmt.Errorf("report pipe: %w", err)
	}
	a.report = uintptr(w)
	return os.NewFile(uintptr(fds[0]), "enter report"), nil
}

// forkJoiner forks the joiner from a locked thread, whose signal mask
// enterForkJoin blocks and restores, holding ForkLock so that no fd
// created meanwhile without close-on-exec leaks into the command.
func forkJoiner(a *enterArgs) (uintptr, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	syscall.ForkLock.Lock()
	pid, errno := enterForkJoin(a)
	syscall.ForkLock.Unlock()
	runtime.KeepAlive(a)
	if errno != 0 {
		return 0, errno
	}
	return pid, nil
}

// collectEnterReports reads the children's messages until both have
// closed the pipe (the joiner by exiting, the command by its execve) and
// returns the command's pid, with the first failure reported, if any.
func collectEnterReports(r io.Reader) (int, error) {
	var msg enterReport
	buf := make([]byte, unsafe.Sizeof(msg))
	pid := 0
	var failure error
	for {
		_, err := io.ReadFull(r, buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return pid, fmt.Errorf("read the entering children's report: %w", err)
		}
		msg = enterReport{
			pid:   int64(binary.NativeEndian.Uint64(buf[0:8])),
			step:  binary.NativeEndian.Uint32(buf[8:12]),
			errno: binary.NativeEndian.Uint32(buf[12:16]),
		}
		switch {
		case msg.step != 0 && failure == nil:
			failure = fmt.Errorf("%s: %w", enterStepName(msg.step), syscall.Errno(msg.errno))
		case msg.step == 0:
			pid = int(msg.pid)
		}
	}
	if failure == nil && pid == 0 {
		failure = errors.New("the joining child ended without reporting the command's pid")
	}
	return pid, failure
}

func enterStepName(step uint32) string {
	switch step {
	case enterStepSetns:
		return "setns into the task's user and other namespaces"
	case enterStepFork:
		return "fork the command in the task's namespaces"
	case enterStepSession:
		return "setsid"
	case enterStepFDs:
		return "set up the command's fds"
	case enterStepTTY:
		return "make the terminal the controlling terminal (TIOCSCTTY)"
	case enterStepExec:
		return "execve"
	}
	return fmt.Sprintf("step %d", step)
}

// reapPid waits for a child that is ending or has ended.
func reapPid(pid int) {
	for {
		if _, err := unix.Wait4(pid, nil, 0, nil); err != unix.EINTR {
			return
		}
	}
}
