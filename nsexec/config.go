package nsexec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// SelfExe is the default executable for init and the shim. Exec'ing the magic
// link runs exactly the inode the driver runs from, even after an upgrade
// replaced the file on disk, so init, shim and driver always agree on the
// protocol between them.
const SelfExe = "/proc/self/exe"

// InitArg is argv[1] of init; the binary's main dispatches it to [InitMain].
const InitArg = "__init"

// InitName is init's argv[0] and process name, what ps and top show for
// it, whatever path its executable was started by (/proc/self/exe or a
// memfd's /proc/self/fd/N).
const InitName = "pledge-init"

// Shim is the program init (or [Process.Enter]) fork-execs: normally the
// driver binary's shim entry, which reads the sandbox spec from fd 3 and execs
// the task under it.
type Shim struct {
	// Self is the executable to run; empty means [SelfExe]. For [Start] it
	// holds both the init entry and the shim entry.
	Self string
	// Args is the shim's argv after argv[0], e.g. ["__shim"].
	Args []string
	// Env is the shim's environment.
	Env []string
	// Stdin, Stdout and Stderr become fds 0, 1, 2; nil means /dev/null.
	Stdin, Stdout, Stderr *os.File
	// ExtraFiles become fds 3, 4, … in the shim, in order (the spec pipe
	// first, then e.g. the seccomp notification socket).
	ExtraFiles []*os.File
}

// Config describes one task's init. The zero value of each Host* field
// means a private namespace.
type Config struct {
	Shim Shim
	// HostPID, HostIPC, HostUTS and HostMount share the driver's namespace
	// instead of creating a private one.
	HostPID, HostIPC, HostUTS, HostMount bool
	// Hostname is set in the private UTS namespace; empty keeps the host's.
	Hostname string
	// NetNSPath is a network namespace to join (for Nomad's bridge mode the
	// group namespace, /var/run/netns/<id>); empty keeps the driver's.
	NetNSPath string
	// Cgroup, when set, is an open cgroup v2 directory init is cloned into
	// (CLONE_INTO_CGROUP), so neither init nor the task ever runs outside it.
	Cgroup *os.File
	// BeforeStart runs after init exists and before it may start the shim:
	// the place to write init's pid to cgroup v1 cgroup.procs files. An error
	// kills init and fails Start.
	BeforeStart func(pid int) error
	// StatusPath is where init records the task's exit status. Its directory
	// must be owned by the driver's user and not writable by group or others,
	// so the task cannot forge its own exit status. Required.
	StatusPath string
	// Hold: after starting the shim, init waits for [Process.HandOver] and
	// keeps the file it gets at [HeldFD] for as long as it lives. Until the
	// hand-over init neither forwards signals nor reaps.
	Hold bool
	// UserNS creates init in a new user namespace that owns its other new
	// namespaces: what lets a driver without root create private pid, ipc,
	// uts and mount namespaces (see userns.go). Only the driver's own uid
	// and gid are mapped, to themselves, so the task keeps the driver's
	// identity; it starts without any capability, in either namespace.
	// NetNSPath cannot be used with it: joining a network namespace needs
	// CAP_SYS_ADMIN in the user namespace that owns it.
	UserNS bool
}

func (s *Shim) exe() string {
	if s.Self == "" {
		return SelfExe
	}
	return s.Self
}

// validate rejects inconsistent configurations before anything is created.
func (c *Config) validate() error {
	if c.StatusPath == "" || !filepath.IsAbs(c.StatusPath) || filepath.Clean(c.StatusPath) != c.StatusPath {
		return fmt.Errorf("nsexec: StatusPath %q must be a clean absolute file path in a driver-owned directory", c.StatusPath)
	}
	if c.Hostname != "" && c.HostUTS {
		return errors.New("nsexec: Hostname needs a private UTS namespace; set HostUTS=false or leave Hostname empty")
	}
	if c.UserNS && c.NetNSPath != "" {
		return fmt.Errorf("nsexec: network namespace %s cannot be joined from a user namespace: setns(CLONE_NEWNET) needs CAP_SYS_ADMIN in the user namespace that owns it (the host's); run the driver as root or use the host network", c.NetNSPath)
	}
	if !c.HostPID && c.HostMount {
		return errors.New("nsexec: a private pid namespace needs a private mount namespace for its own /proc; set HostMount=false or HostPID=true")
	}
	return nil
}

// cloneFlags are the namespaces init is created in.
func (c *Config) cloneFlags() uintptr {
	var f uintptr
	for _, ns := range []struct {
		host bool
		flag int
	}{
		{c.HostPID, unix.CLONE_NEWPID},
		{c.HostIPC, unix.CLONE_NEWIPC},
		{c.HostUTS, unix.CLONE_NEWUTS},
		{c.HostMount, unix.CLONE_NEWNS},
		{!c.UserNS, unix.CLONE_NEWUSER},
	} {
		if !ns.host {
			f |= uintptr(ns.flag)
		}
	}
	return f
}
