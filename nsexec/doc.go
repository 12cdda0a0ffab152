// Package nsexec starts a task's process tree in its own namespaces, with a
// tiny resident init as the tree's root, and finds that tree again after the
// driver restarts.
//
// Process tree of one task:
//
//	driver ──clone(NEWPID|NEWNS|NEWIPC|NEWUTS, into cgroup, in netns)──▶ init   (<self> __init)
//	                                                                    │ fork+exec
//	                                                                    ▼
//	                                                                    shim   (<self> <Shim.Args>: sandbox, then the task)
//
// The driver does not wait on the shim directly because the task must outlive
// the driver: Nomad may SIGKILL the plugin at any time, and running tasks are
// then reattached from (init pid, init start time) with [Attach]. Init is
// therefore the piece that has to observe the task's end: it is PID 1 of the
// task's pid namespace (or a child subreaper when the task shares the host's),
// so it reaps the task and every orphan, forwards every catchable signal to
// the task (PID 1 ignores signals it has no handler for, so without init a
// task without a SIGTERM handler would survive SIGTERM), and records the exit
// status in a file of a driver-owned directory that the task cannot write.
//
// Init is launched, starts the shim and then confines itself: it keeps only
// CAP_KILL (to signal a task running as another user), clears its
// inheritable and ambient sets, sets no_new_privs and makes itself
// non-dumpable, so neither ptrace nor /proc/1/* lets the task borrow
// anything from it. [Start] returns only once init is confined; the shim
// may run before, so the caller sends it what it needs to run the task
// (the Nomad driver: the sandbox spec) only after Start returns, and the
// task never runs beside a privileged init. It runs with GOMAXPROCS=1, without
// asynchronous preemption (so that SIGURG it receives is always a real signal
// to forward) and returns its setup memory to the kernel.
//
// With [Config.Hold] init also keeps one file for the driver, handed over
// once the shim runs ([Process.HandOver]) and fetched back after a restart
// ([Process.GetFD] at [HeldFD]): the Nomad driver's copy of the task's
// seccomp listener, so that supervision survives the plugin. Init never uses
// it; being non-dumpable, it keeps it out of the task's reach.
//
// Network namespaces are joined by the driver, not by init: the driver spawns
// init from a goroutine locked to a throw-away OS thread that first joined the
// namespace with setns(CLONE_NEWNET); the thread exits with the goroutine, so
// no other goroutine ever runs in it. Init as a whole then lives in the task's
// network namespace, which is what [Process.Enter] relies on.
//
// A driver without root sets [Config.UserNS]: init is then cloned into a new
// user namespace as well, which owns its other new namespaces, with only the
// driver's uid and gid mapped, to themselves. Init carries CAP_SYS_ADMIN and
// CAP_SETPCAP over that namespace across its execve as ambient capabilities
// (it does not run as root there), mounts /proc and sets the hostname, and
// confines itself before it starts the shim, from a thread whose bounding
// set it emptied, so the task runs as the driver's user with no capability
// in any namespace and an empty bounding set. Network
// namespaces of others cannot be joined then.
//
// [Process.Enter] (ExecTask) uses the same trick without any re-exec of an
// intermediate helper: on a throw-away locked thread it unshares CLONE_FS
// (setns into a mount namespace refuses a thread that shares its fs_struct
// with others, and every Go thread does), calls setns on init's pidfd for the
// pid, mount, ipc, uts and network namespaces at once, and fork-execs the
// shim. setns(CLONE_NEWPID) only affects children, which is why the fork must
// come from that very thread; the child is created directly as a member of
// the task's pid namespace, so no second fork is needed. setns into a user
// namespace refuses any multithreaded process, though, so for an init in a
// user namespace Enter forks a raw single-threaded copy of the calling
// thread that joins every namespace and forks the command with CLONE_PARENT
// (enterchild.go), which keeps the command the driver's own child.
package nsexec
