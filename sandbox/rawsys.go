//go:build amd64 || arm64

package sandbox

// The supervised start of the pledge command line needs two pieces Go
// cannot express, written in assembly for amd64 and arm64 (rawsys_*.s):
//
// rawVfork starts the program with clone(CLONE_VM|CLONE_VFORK): the child
// borrows this process's memory and the calling thread's stack until it
// execs, so nothing is copied (a fork copies the page tables of the whole
// Go heap and then takes a copy-on-write fault for every page either side
// touches, which costs more than the rest of the start-up together). As in
// the syscall package's rawVforkSyscall, the function keeps its own return
// address in a register across the call, because the child's calls
// overwrite the stack slot it sits in.
//
// forwardSignal is a signal handler that runs no Go code: it records a
// forwarded signal and, once the program exists, sends it on (see
// catchSignals). os/signal would route the signals through the runtime,
// whose per-signal handshake with a dedicated thread takes up to a
// millisecond on a loaded machine, all of it before the fork.

// rawVfork is clone(flags, 0, pidfdp, 0, 0), returning to both the parent
// and the child (pid 0); see the assembly.
func rawVfork(flags, pidfdp uintptr) (pid, errno uintptr)

// forwardHandlers returns the entry addresses of forwardSignal and of its
// restorer (sigreturn), for rt_sigaction. Neither has a Go declaration:
// only the kernel enters them.
func forwardHandlers() (handler, restorer uintptr)
