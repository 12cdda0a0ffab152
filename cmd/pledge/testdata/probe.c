/* probe: the dynamic twin of probe/main.go. Performs one action and exits
   with its errno (0 on success). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_close(const char *path, int flags) {
	int fd = open(path, flags, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
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
		return mkdir(path, 0755) ? errno : 0;
	if (!strcmp(verb, "unlink"))
		return unlink(path) ? errno : 0;
	if (!strcmp(verb, "rmdir"))
		return rmdir(path) ? errno : 0;
	if (!strcmp(verb, "exec")) {
		char *args[] = {(char *)path, NULL};
		execv(path, args);
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
	return 101;
}
