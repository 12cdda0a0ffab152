/* rawprobe: a static x86_64 program without libc whose only system calls
   are getpid and exit. It exits with getpid's errno (0 on success). A libc
   or the Go runtime cannot start without stdio, so this is the program that
   shows stdio's denial at the exact call; exit is allowed under every
   promise set. Build: cc -static -nostdlib -fno-stack-protector. */
static long raw_syscall(long nr, long arg) {
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(arg) : "rcx", "r11", "memory");
	return ret;
}

void _start(void) {
	long ret = raw_syscall(39 /* getpid */, 0);
	raw_syscall(60 /* exit */, ret < 0 ? -ret : 0);
}
