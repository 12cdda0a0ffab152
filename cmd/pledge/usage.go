package main

// usage is printed by -h (on stdout, exit 0) and when the command is missing
// (on stderr, exit 64).
const usage = `usage: pledge [-hnqkNV] [-p PROMISES] [-v [PERM:]PATH] [OPTIONS] PROG ARGS...
       pledge -T pledge|unveil      probe for kernel support
       pledge -list                 print the promise table
       pledge --version

Runs PROG with only the system calls of PROMISES (seccomp) and only the
files of the unveiled paths (Landlock).

  -p PROMISES     promises, space separated; repeatable [default: stdio rpath]
  -v [PERM:]PATH  make PATH visible with PERM, letters of rwxc [default: r]
                    r read, w write and truncate, x execute,
                    c create and remove
  -V              no unveiling at all (promises only)
  -k              kill the process (SIGSYS) on a violation instead of EPERM
  -q              do not report violations on stderr
  -u USER         switch to this user (name or number)
  -g GROUP        switch to this group (name or number)
  -c DIR          chroot to DIR before looking up PROG
  -n              lowest priority: nice 19, idle I/O, SCHED_IDLE
  -N              keep inherited file descriptors as they are
  -D ARG          keep capabilities (takes an argument, like pledge.com)
  -C SECS         CPU time limit [default: inherited]
  -M BYTES        address space limit [default: physical memory]
  -P PROCS        process limit [default: CPUs + running processes]
  -F BYTES        file size limit [default: 256000000]
  -O FILES        open file limit [default: 64]
  -T WHAT         exit 0 if "pledge" or "unveil" works here, else 1
  -h              this help

Sizes take k, m, g, t, p, e suffixes (powers of 1024).
Promises: stdio rpath wpath cpath dpath flock fattr inet unix dns tty recvfd
proc exec id unveil sendfd settime prot_exec vminfo tmppath chown anet
`
