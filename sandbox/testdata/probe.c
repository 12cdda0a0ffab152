/* probe performs the actions named on its command line, one after the
 * other, and prints "<action>=<result>" for each, where result is "ok" or
 * the errno name. "ready" prints "ready" and waits for one byte on stdin.
 * It uses raw write(2) only, so that reporting needs nothing but stdio. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static void say(const char *action, const char *result) {
	char buf[128];
	size_t n = strlen(action), m = strlen(result);
	if (n + m + 2 > sizeof buf)
		return;
	memcpy(buf, action, n);
	buf[n] = '=';
	memcpy(buf + n + 1, result, m);
	buf[n + m + 1] = '\n';
	write(1, buf, n + m + 2);
}

static const char *errname(int e) {
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ENOSYS: return "ENOSYS";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	default: return "other";
	}
}

static int act(const char *a, char **envp) {
	errno = 0;
	if (!strcmp(a, "execve-self")) {
		char *argv[] = {"probe", NULL};
		execve("/proc/self/exe", argv, envp);
	} else if (!strcmp(a, "execve-true")) {
		char *argv[] = {"true", NULL};
		execve("/bin/true", argv, envp);
	} else if (!strcmp(a, "mprotect-exec")) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		if (mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0)
			errno = 0;
	} else if (!strcmp(a, "mmap-anon-exec")) {
		if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED)
			errno = 0;
	} else if (!strcmp(a, "open")) {
		int fd = open("/etc/passwd", O_RDONLY);
		if (fd >= 0) {
			close(fd);
			errno = 0;
		}
	} else if (!strcmp(a, "socket")) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0) {
			close(fd);
			errno = 0;
		}
	} else if (!strcmp(a, "ready")) {
		char c;
		write(1, "ready\n", 6);
		if (read(0, &c, 1) != 1)
			return EIO;
		return 0;
	} else {
		return EINVAL;
	}
	return errno;
}

int main(int argc, char **argv, char **envp) {
	for (int i = 1; i < argc; i++) {
		int e = act(argv[i], envp);
		if (strcmp(argv[i], "ready"))
			say(argv[i], errname(e));
	}
	return 0;
}
