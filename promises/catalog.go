package promises

import "sync"

// rule grants one system call, by kernel name, when its condition holds.
type rule struct {
	syscall string
	cond    condition
}

// group is a run of rules in the catalog.
type group []rule

// allow grants the named system calls whatever their arguments.
func allow(names ...string) group {
	g := make(group, len(names))
	for i, n := range names {
		g[i] = rule{syscall: n}
	}
	return g
}

// when grants one system call when all matchers hold.
func when(name string, ms ...matcher) group {
	return group{{syscall: name, cond: ms}}
}

// whenAny grants one system call when any of the conditions holds.
func whenAny(name string, conds ...condition) group {
	g := make(group, len(conds))
	for i, c := range conds {
		g[i] = rule{syscall: name, cond: c}
	}
	return g
}

// promise concatenates the groups of one promise.
func promise(gs ...group) []rule {
	var rules []rule
	for _, g := range gs {
		rules = append(rules, g...)
	}
	return rules
}

// alwaysAllowed are granted whatever the promises: ending a thread or the
// process must always work, and x86_64 TLS setup needs arch_prctl.
//
// rt_sigreturn is here too because the shim installs the filter and only then
// execs: a signal landing in that window (the Go runtime's SIGURG preemption
// signal, sent by sysmon or the GC) runs a handler that ends in rt_sigreturn,
// and denying it crashes the shim whenever the task's set lacks stdio. It
// grants nothing the filter would deny: it only restores the registers and
// signal mask the kernel saved on the stack when the handler was entered,
// and every call made after it is filtered as before.
func alwaysAllowed() group { return allow("exit", "exit_group", "arch_prctl", "rt_sigreturn") }

// forcedENOSYS fail with ENOSYS under every promise set (as does every number
// from firstUnknownSyscall on), so that libc and the Go runtime fall back to
// the older calls whose arguments the filter can see.
var forcedENOSYS = []string{"clone3", "openat2", "memfd_create"}

// firstUnknownSyscall is the first number the catalog does not know about
// (memfd_secret, 447); it and everything above, including the x32 ABI's
// numbers (nr | 0x40000000), fail with ENOSYS.
const firstUnknownSyscall = 447

// cloneForbidden are the clone flags no promise grants: namespaces and
// tracing.
var cloneForbidden = []sym{
	clonePtrace, cloneNewNS, cloneUntraced, cloneNewCgrp, cloneNewUTS,
	cloneNewIPC, cloneNewUser, cloneNewPID, cloneNewNet,
}

// noSpecialMode forbids setuid, setgid and sticky mode bits in argument arg.
func noSpecialMode(arg int) matcher { return hasNone(arg, "mode", sISUID, sISGID, sISVTX) }

// readOnlyOpen matches open flags (in argument arg) that open an existing
// file for reading only.
func readOnlyOpen(arg int) matcher {
	return hasNone(arg, "flags", oWronly, oRdwr, oCreat, oTrunc, oTmpfile)
}

// writeOpen matches open flags that open an existing file for writing.
func writeOpen(arg int) matcher {
	return fieldOneOf(arg, "flags", oAccmode, []sym{oCreat, oTmpfile}, oWronly, oRdwr)
}

// createOpen matches opens that create a file (O_CREAT, or an unnamed
// temporary file) without special mode bits; flags and mode are arguments
// flagsArg and flagsArg+1.
func createOpen(name string, flagsArg int) group {
	return whenAny(name,
		condition{hasAll(flagsArg, "flags", []sym{oCreat}, nil), noSpecialMode(flagsArg + 1)},
		condition{hasAll(flagsArg, "flags", []sym{oTmpfile}, nil), noSpecialMode(flagsArg + 1)},
	)
}

// chmodFamily grants mode changes without special mode bits.
func chmodFamily() group {
	return promise(
		when("chmod", noSpecialMode(1)),
		when("fchmod", noSpecialMode(1)),
		when("fchmodat", noSpecialMode(2)),
	)
}

// inetSocket grants IPv4 and IPv6 sockets of the given type and protocols.
func inetSocket(typ sym, protocols ...sym) condition {
	return condition{
		oneOf(0, "family", afInet, afInet6),
		maskedOneOf(1, "type", []sym{sockNonblock, sockCloexec}, typ),
		oneOf(2, "protocol", protocols...),
	}
}

// sockopt grants the options names at level.
func sockopt(level sym, names ...sym) condition {
	return condition{equals(1, "level", level), oneOf(2, "optname", names...)}
}

// setsockoptPairs are the (level, option) pairs socket promises may set.
func setsockoptPairs() []condition {
	return []condition{
		sockopt(solIP, ipRecverr, ipRecvttl),
		sockopt(solSocket, soReuseaddr, soDontroute, soBroadcast, soKeepalive, soReuseport, soRcvtimeo, soSndtimeo),
		sockopt(solTCP, tcpNodelay, tcpCork, tcpKeepidle, tcpKeepintvl, tcpKeepcnt, tcpQuickack, tcpFastopen, tcpFastopenConnect),
		sockopt(solIPv6, ipv6V6only),
	}
}

// getsockoptPairs are the (level, option) pairs socket promises may read.
func getsockoptPairs() []condition {
	return []condition{
		sockopt(solSocket, soReuseaddr, soType, soError, soKeepalive, soReuseport, soRcvtimeo, soSndtimeo),
		sockopt(solTCP, tcpMaxseg, tcpCork, tcpKeepidle),
	}
}

// catalog lists, per promise, the system calls it grants. Names are kernel
// names; a name an architecture lacks (arm64 has no open, stat, fork, …)
// is skipped there, because its replacement (openat, newfstatat, clone) is
// listed too.
//
// Each promise's rules are built when first asked for, not in package
// init: the matchers of all promises are a few hundred allocations, which
// every pledge run would otherwise pay, even one that only prints usage or
// grants two promises.
var catalog = sync.OnceValue(func() map[Set]func() []rule {
	return map[Set]func() []rule{
		Stdio: func() []rule {
			return promise(
				allow("rt_sigreturn", "restart_syscall", "exit_group", "sched_yield",
					"sched_getaffinity", "clock_getres", "clock_gettime", "clock_nanosleep",
					"close_range", "close", "write", "writev", "pwrite64", "pwritev", "pwritev2",
					"read", "readv", "pread64", "preadv", "preadv2", "dup", "dup2", "dup3",
					"fchdir", "fstat", "fsync", "sysinfo", "fdatasync", "ftruncate", "getrandom",
					"getgroups", "getpgid", "getpgrp", "getpid", "gettid", "getuid", "getgid",
					"getsid", "getppid", "geteuid", "getegid", "getrlimit", "getresgid",
					"getresuid", "getitimer", "setitimer", "timerfd_create", "timerfd_settime",
					"timerfd_gettime", "copy_file_range", "gettimeofday", "sendfile", "vmsplice",
					"splice", "lseek", "tee", "brk", "msync", "mlock", "mlock2", "munlock",
					"mremap", "munmap", "mincore", "madvise", "fadvise64", "arch_prctl",
					"migrate_pages", "sync_file_range", "set_tid_address", "membarrier",
					"nanosleep", "pipe", "pipe2", "poll", "ppoll", "select", "pselect6",
					"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
					"epoll_pwait2", "recvfrom", "alarm", "pause", "shutdown", "eventfd",
					"eventfd2", "signalfd", "signalfd4", "rt_sigaction", "sigaltstack",
					"rt_sigprocmask", "rt_sigsuspend", "rt_sigpending", "socketpair",
					"getrusage", "times", "umask", "wait4", "waitid", "uname", "futex",
					"set_robust_list", "get_robust_list", "sched_setaffinity",
					"rt_sigtimedwait", "getcpu", "rseq"),
				when("fcntl", oneOf(1, "cmd", fDupfd, fGetfd, fSetfd, fGetfl, fSetfl, fDupfdCloexec)),
				when("mmap", hasNone(3, "flags", mapLocked, mapNonblock), subsetOf(2, "prot", protRead, protWrite)),
				when("mprotect", subsetOf(2, "prot", protRead, protWrite)),
				when("sendto", isNull(4, "dest_addr")),
				when("ioctl", oneOf(1, "request", fionread, fionbio, fioclex, fionclex)),
				when("kill", equalsSelf(0, "pid")),
				when("tgkill", equalsSelf(0, "tgid")),
				// PR_SET_VMA only names anonymous memory (the Go runtime
				// does it at start-up since Go 1.25); the reference predates it.
				when("prctl", oneOf(0, "option", prSetName, prGetName, prGetSeccomp, prSetSeccomp,
					prCapbsetRead, prCapbsetDrop, prSetNoNewPrivs, prSetVMA)),
				when("clone", hasAll(0, "flags", []sym{cloneVM, cloneFS, cloneFiles, cloneSighand, cloneThread}, cloneForbidden)),
				when("prlimit64", isNull(2, "new_limit")),
			)
		},
		Rpath: func() []rule {
			return promise(
				allow("chdir", "getcwd", "stat", "lstat", "fstat", "newfstatat", "statx",
					"access", "faccessat", "faccessat2", "readlink", "readlinkat", "statfs",
					"fstatfs", "getdents64", "getdents"),
				when("open", readOnlyOpen(1)),
				when("openat", readOnlyOpen(2)),
			)
		},
		Wpath: func() []rule {
			return promise(
				allow("getcwd", "stat", "fstat", "lstat", "newfstatat", "statx", "access",
					"truncate", "faccessat", "faccessat2", "readlinkat"),
				when("open", writeOpen(1)),
				when("openat", writeOpen(2)),
				chmodFamily(),
			)
		},
		Cpath: func() []rule {
			return promise(
				allow("rename", "renameat", "renameat2", "link", "linkat", "symlink",
					"symlinkat", "rmdir", "unlink", "unlinkat", "mkdir", "mkdirat"),
				createOpen("open", 1),
				createOpen("openat", 2),
				when("creat", noSpecialMode(1)),
			)
		},
		Dpath: func() []rule { return allow("mknod", "mknodat") },
		Flock: func() []rule {
			return promise(
				allow("flock"),
				when("fcntl", oneOf(1, "cmd", fGetlk, fSetlk, fSetlkw, fOFDGetlk, fOFDSetlk, fOFDSetlkw)),
			)
		},
		Fattr: func() []rule {
			return promise(
				allow("utime", "utimes", "futimesat", "utimensat"),
				chmodFamily(),
			)
		},
		Inet: func() []rule {
			return promise(
				allow("listen", "bind", "sendto", "connect", "accept", "accept4",
					"getpeername", "getsockname"),
				whenAny("socket",
					inetSocket(sockStream, protoDefault, ipprotoTCP),
					inetSocket(sockDgram, protoDefault, ipprotoICMP, ipprotoUDP)),
				when("ioctl", equals(1, "request", siocatmark)),
				whenAny("getsockopt", getsockoptPairs()...),
				whenAny("setsockopt", setsockoptPairs()...),
			)
		},
		Unix: func() []rule {
			return promise(
				allow("listen", "bind", "connect", "sendto", "accept", "accept4",
					"getpeername", "getsockname"),
				when("socket",
					equals(0, "family", afUnix),
					maskedOneOf(1, "type", []sym{sockNonblock, sockCloexec}, sockStream, sockDgram),
					equals(2, "protocol", protoDefault)),
				whenAny("getsockopt", getsockoptPairs()...),
				whenAny("setsockopt", setsockoptPairs()...),
			)
		},
		DNS: func() []rule {
			return promise(
				allow("bind", "sendto", "connect", "recvfrom", "newfstatat", "read", "close",
					"recvmsg", "sendmsg"),
				whenAny("socket",
					inetSocket(sockStream, protoDefault, ipprotoTCP),
					inetSocket(sockDgram, protoDefault, ipprotoICMP, ipprotoUDP)),
				whenAny("setsockopt", setsockoptPairs()...),
				when("openat", readOnlyOpen(2)),
			)
		},
		TTY: func() []rule {
			return when("ioctl", oneOf(1, "request", tcgets, tcsets, tcsetsw, tcsetsf, tiocgwinsz,
				tiocswinsz, tiocgpgrp, tiocspgrp, tcflsh, tcxonc, tcsbrk, tiocsbrk))
		},
		Recvfd: func() []rule { return allow("recvmsg", "recvmmsg") },
		Proc: func() []rule {
			return promise(
				allow("fork", "vfork", "kill", "tgkill", "setsid", "setpgid", "prlimit64",
					"setrlimit", "getpriority", "setpriority", "ioprio_get", "ioprio_set",
					"sched_getscheduler", "sched_setscheduler", "sched_get_priority_min",
					"sched_get_priority_max", "sched_getparam", "sched_setparam"),
				when("clone", hasNone(0, "flags", cloneForbidden...)),
			)
		},
		Exec: func() []rule { return allow("execve", "execveat") },
		ID: func() []rule {
			return allow("setuid", "setreuid", "setresuid", "setgid", "setregid", "setresgid",
				"setgroups", "prlimit64", "setrlimit", "getpriority", "setpriority",
				"setfsuid", "setfsgid")
		},
		Unveil:  func() []rule { return allow("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self") },
		Sendfd:  func() []rule { return allow("sendmsg", "sendmmsg") },
		Settime: func() []rule { return allow("settimeofday", "clock_adjtime") },
		ProtExec: func() []rule {
			return promise(
				allow("mprotect"),
				when("mmap", hasNone(3, "flags", mapLocked, mapNonblock, mapHugetlb)),
			)
		},
		Vminfo:  func() []rule { return allow("sched_yield") },
		Tmppath: func() []rule { return allow("lstat", "unlink", "unlinkat") },
		Chown:   func() []rule { return allow("chown", "fchown", "lchown", "fchownat") },
		Anet: func() []rule {
			return promise(
				allow("listen", "bind", "sendto", "accept", "accept4", "getpeername",
					"getsockname"),
				when("socket", inetSocket(sockStream, protoDefault, ipprotoTCP)...),
				when("ioctl", equals(1, "request", siocatmark)),
				whenAny("getsockopt", getsockoptPairs()...),
				whenAny("setsockopt", setsockoptPairs()...),
			)
		},
	}
})

// fileExecMmap is the extra mmap rule of Options.FileExec: executable
// mappings of files (never anonymous memory), for the dynamic loader.
func fileExecMmap() group {
	return when("mmap", hasNone(3, "flags", mapAnonymous, mapLocked, mapNonblock, mapHugetlb))
}

// loaderDone is the prctl the loader-phase preload makes when the dynamic
// loader has finished.
func loaderDone() group { return when("prctl", equals(0, "option", prLoaderDoneSym)) }

// cookieArg is the argument register that carries Options.Cookie; execveat
// and sendmsg take five arguments, so the sixth is free.
const cookieArg = 5

// cookieSyscalls are the calls the shim makes with the cookie.
var cookieSyscalls = []string{"execveat", "sendmsg"}
