/* probe: the dynamic twin of probe/main.go. Performs one action and exits
   with its errno (0 on success; 102 if the setup before the call under test
   failed). Every action but ids writes "probe: calling" to stderr just
   before the call under test, so that a test expecting SIGSYS can tell that
   call from an earlier death. "repeat N VERB ARG" makes a call N times. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/landlock.h>

#define SETUP_FAILED 102

static void reach(void);

static int open_close(const char *path, int flags) {
	reach();
	int fd = open(path, flags, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static void reach(void) {
	static const char msg[] = "probe: calling\n";
	write(2, msg, sizeof msg - 1);
}

/* result is 0 if ret is not negative, else errno. */
static int result(long ret) { return ret < 0 ? errno : 0; }

static int setup_failed(const char *what) {
	fprintf(stderr, "setup: %s: %s\n", what, strerror(errno));
	return SETUP_FAILED;
}

static int inet_socket(int type) {
	reach();
	return result(socket(AF_INET, type, 0));
}

static int udp_send(void) {
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	reach();
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return errno;
	return result(sendto(fd, "q", 1, 0, (struct sockaddr *)&to, sizeof to));
}

static int accept_none(void) {
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	reach();
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	if (bind(fd, (struct sockaddr *)&any, sizeof any) || listen(fd, 1))
		return errno;
	return result(accept4(fd, NULL, NULL, 0));
}

static int tcgets(const char *path) {
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY);
	if (fd < 0)
		return setup_failed(path);
	reach();
	return result(ioctl(fd, TCGETS, &t));
}

/* socket_pair makes a unix stream pair with one byte queued for p[1]. */
static int socket_pair(int p[2]) {
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) || write(p[0], "x", 1) != 1)
		return setup_failed("socketpair");
	return 0;
}

static int recv_msg(void) {
	int p[2], e = socket_pair(p);
	char c;
	struct iovec iov = {&c, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (e)
		return e;
	reach();
	return result(recvmsg(p[1], &m, 0));
}

/* send_msg passes stdout's descriptor over a socket pair. */
static int send_msg(void) {
	int p[2], e = socket_pair(p);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {"y", 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int out = 1;
	if (e)
		return e;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &out, sizeof out);
	reach();
	return result(sendmsg(p[0], &m, 0));
}

static int fork_wait(void) {
	int status;
	reach();
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		return setup_failed("waitpid");
	return 0;
}

static int set_same_ids(void) {
	uid_t r, e, s;
	getresuid(&r, &e, &s);
	reach();
	return result(setresuid(r, e, s));
}

static int adjtime_read(void) {
	struct timex tx = {0};
	reach();
	return result(clock_adjtime(CLOCK_REALTIME, &tx));
}

static int mprotect_exec(void) {
	long size = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return setup_failed("mmap");
	reach();
	return result(mprotect(p, size, PROT_READ | PROT_EXEC));
}

/* pipe_end returns the read end of a new pipe, or -1. */
static int pipe_end(void) {
	int p[2];
	return pipe2(p, O_CLOEXEC) ? -1 : p[0];
}

/* int80_getpid makes i386 getpid (20) through the int $0x80 gate. */
static int int80_getpid(void) {
	long ret = 20;
	reach();
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	return 0;
}

static int call(const char *verb, const char *path) {
	int fd;
	if (!strcmp(verb, "getpid")) {
		reach();
		return result(getpid());
	}
	if (!strcmp(verb, "yield")) {
		reach();
		return result(sched_yield());
	}
	if (!strcmp(verb, "mkfifo")) {
		reach();
		return result(mknodat(AT_FDCWD, path, S_IFIFO | 0644, 0));
	}
	if (!strcmp(verb, "utimes")) {
		reach();
		return result(utimensat(AT_FDCWD, path, NULL, 0));
	}
	if (!strcmp(verb, "flock") || !strcmp(verb, "fchown")) {
		if ((fd = pipe_end()) < 0)
			return setup_failed("pipe2");
		reach();
		if (verb[1] == 'l')
			return result(flock(fd, LOCK_EX | LOCK_NB));
		return result(fchown(fd, getuid(), getgid()));
	}
	if (!strcmp(verb, "tcp"))
		return inet_socket(SOCK_STREAM);
	if (!strcmp(verb, "udp"))
		return inet_socket(SOCK_DGRAM);
	if (!strcmp(verb, "unixsock")) {
		reach();
		return result(socket(AF_UNIX, SOCK_STREAM, 0));
	}
	if (!strcmp(verb, "udpsend"))
		return udp_send();
	if (!strcmp(verb, "accept"))
		return accept_none();
	if (!strcmp(verb, "tcgets"))
		return tcgets(path);
	if (!strcmp(verb, "recvmsg"))
		return recv_msg();
	if (!strcmp(verb, "sendmsg"))
		return send_msg();
	if (!strcmp(verb, "fork"))
		return fork_wait();
	if (!strcmp(verb, "setresuid"))
		return set_same_ids();
	if (!strcmp(verb, "landlock")) {
		reach();
		return result(syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION));
	}
	if (!strcmp(verb, "adjtime"))
		return adjtime_read();
	if (!strcmp(verb, "mprotect"))
		return mprotect_exec();
	if (!strcmp(verb, "int80"))
		return int80_getpid();
	return 101;
}

int main(int argc, char **argv) {
	if (argc < 2)
		return 100;
	const char *verb = argv[1], *path = argc > 2 ? argv[2] : "";
	if (!strcmp(verb, "read"))
		return open_close(path, O_RDONLY);
	if (!strcmp(verb, "write"))
		return open_close(path, O_WRONLY);
	if (!strcmp(verb, "trunc"))
		return open_close(path, O_WRONLY | O_TRUNC);
	if (!strcmp(verb, "create"))
		return open_close(path, O_WRONLY | O_CREAT | O_EXCL);
	if (!strcmp(verb, "list"))
		return open_close(path, O_RDONLY | O_DIRECTORY);
	if (!strcmp(verb, "mkdir"))
		return reach(), mkdir(path, 0755) ? errno : 0;
	if (!strcmp(verb, "unlink"))
		return reach(), unlink(path) ? errno : 0;
	if (!strcmp(verb, "rmdir"))
		return reach(), rmdir(path) ? errno : 0;
	if (!strcmp(verb, "exec")) {
		char *self[] = {(char *)path, NULL};
		reach();
		execv(path, argc > 3 ? argv + 3 : self);
		return errno;
	}
	if (!strcmp(verb, "ids")) {
		gid_t groups[64];
		int n = getgroups(64, groups);
		printf("%d %d [", (int)getuid(), (int)getgid());
		for (int i = 0; i < n; i++)
			printf(i ? " %d" : "%d", (int)groups[i]);
		printf("]\n");
		return 0;
	}
	if (!strcmp(verb, "repeat")) {
		if (argc < 4)
			return 100;
		int n = atoi(argv[2]), e = 0;
		for (int i = 0; i < n; i++)
			e = call(argv[3], argc > 4 ? argv[4] : "");
		return e;
	}
	return call(verb, path);
}
