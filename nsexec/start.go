package nsexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// initEnv is init's whole environment. Without asynchronous preemption the
// runtime never sends SIGURG to itself, so every SIGURG init sees comes from
// outside and is forwarded; one P keeps init to a couple of threads.
var initEnv = []string{"GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1"}

// Start creates the task's init in its namespaces (and cgroup), lets the
// caller place it ([Config.BeforeStart]), and returns once init has started
// the shim and confined itself. Errors of init's setup (mounts, hostname)
// are returned here. Unless c.UserNS, the shim starts while init still
// holds its capabilities: a shim that runs anything untrusted must first
// wait for input the caller sends only after Start returns. The
// caller keeps ownership of every file in c.Shim and should close its copies
// of the shim's files after Start returns. With c.Hold the caller must then
// call [Process.HandOver] (or Close the Process).
func Start(c *Config) (*Process, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	dir, err := openStatusDir(filepath.Dir(c.StatusPath))
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	if err := os.Remove(c.StatusPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("nsexec: remove stale status file: %w", err)
	}
	var netns *os.File
	if c.NetNSPath != "" {
		if netns, err = openNetNS(c.NetNSPath); err != nil {
			return nil, err
		}
		defer netns.Close()
	}
	p, control, err := spawnInit(c, dir, netns)
	if err != nil {
		return nil, err
	}
	if err := release(c, p, control); err != nil {
		unix.Close(control)
		abandon(p)
		return nil, err
	}
	if c.Hold {
		p.handOver = os.NewFile(uintptr(control), "init control")
	} else {
		unix.Close(control)
	}
	return p, nil
}

// spawnInit clones init, stopped before its setup until it receives its
// spec on the returned control socket.
func spawnInit(c *Config, dir, netns *os.File) (*Process, int, error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, -1, fmt.Errorf("nsexec: control socket: %w", err)
	}
	defer unix.Close(pair[1])
	stdio, opened, err := c.Shim.stdioFiles()
	if err != nil {
		unix.Close(pair[0])
		return nil, -1, err
	}
	defer closeAll(opened)
	pidfd := -1
	sys := &syscall.SysProcAttr{Cloneflags: c.cloneFlags(), Setsid: true, PidFD: &pidfd}
	if c.Cgroup != nil {
		sys.UseCgroupFD, sys.CgroupFD = true, int(c.Cgroup.Fd())
	}
	if c.UserNS {
		setUserNS(sys)
	}
	files := append(stdio, uintptr(pair[1]), dir.Fd())
	files = append(files, fdsOf(c.Shim.ExtraFiles)...)
	exe := c.Shim.exe()
	attr := &syscall.ProcAttr{Env: initEnv, Files: files, Sys: sys}
	pid, err := forkOnThread(joinNetNS(netns), exe, []string{InitName, InitArg}, attr)
	if err != nil {
		unix.Close(pair[0])
		return nil, -1, fmt.Errorf("nsexec: start init %s: %w", exe, err)
	}
	p, err := newProcess(pid, pidfd, c.StatusPath)
	if err == nil {
		p.StartTime, err = startTime(pid)
	}
	if err != nil {
		unix.Kill(pid, unix.SIGKILL)
		unix.Wait4(pid, nil, 0, nil)
		unix.Close(pair[0])
		return nil, -1, fmt.Errorf("nsexec: init %d: %w", pid, err)
	}
	return p, pair[0], nil
}

// release runs the caller's placement hook, sends init its spec (the go
// signal) and collects init's setup result.
func release(c *Config, p *Process, control int) error {
	if c.BeforeStart != nil {
		if err := c.BeforeStart(p.Pid); err != nil {
			return fmt.Errorf("nsexec: before starting the shim in init %d: %w", p.Pid, err)
		}
	}
	spec, err := json.Marshal(c.initSpec())
	if err != nil {
		return fmt.Errorf("nsexec: encode init spec: %w", err)
	}
	// A failed send means init is gone; its reason is in the reply or exit.
	sendErr := sendFrame(control, spec)
	reply, err := recvFrame(control)
	switch {
	case err == io.EOF:
		st, _ := p.Wait(context.Background())
		return fmt.Errorf("nsexec: %w (%v; send: %v)", errInitGone, st, sendErr)
	case err != nil:
		return fmt.Errorf("nsexec: read init's setup result: %w", err)
	case len(reply) > 0:
		return fmt.Errorf("nsexec: init: %s", reply)
	}
	return nil
}

func (c *Config) initSpec() initSpec {
	exe := c.Shim.exe()
	return initSpec{
		PrivateMount: !c.HostMount,
		MountProc:    !c.HostPID,
		Subreaper:    c.HostPID,
		Hostname:     c.Hostname,
		StatusName:   filepath.Base(c.StatusPath),
		Argv:         append([]string{exe}, c.Shim.Args...),
		Env:          c.Shim.Env,
		ExtraFiles:   len(c.Shim.ExtraFiles),
		Hold:         c.Hold,
		ConfineFirst: c.UserNS,
	}
}

// abandon kills and reaps an init whose start failed.
func abandon(p *Process) {
	p.Kill()
	p.Wait(context.Background())
	p.Close()
}

// openStatusDir opens the directory of StatusPath for init, after checking
// that no one but the driver's user can create or replace files in it.
func openStatusDir(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("nsexec: status directory %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("nsexec: status directory %s: %w", dir, err)
	}
	if int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 {
		unix.Close(fd)
		return nil, fmt.Errorf("nsexec: status directory %s (uid %d, mode %#o) must be owned by uid %d and not writable by group or others, so the task cannot forge its exit status", dir, st.Uid, st.Mode&0o7777, os.Geteuid())
	}
	return os.NewFile(uintptr(fd), dir), nil
}
