/*
 * test_closer.c - spool/closer.c: descriptors handed over are closed on a
 *                 thread of their own, all of them by the time a drain
 *                 returns (also past the queue's 64), and a worker forked
 *                 from a process whose closer ran gets a closer of its own
 *                 instead of waiting for its parent's thread forever;
 *                 the closer blocks signals, so SIGTERM reaches (and
 *                 interrupts) the delivering thread.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spool.h"
#include "tap.h"

#define N_FILES 200 /* more than the closer's queue holds */

static char dir[] = "/tmp/test_closer.XXXXXX";

/* A descriptor of a file whose name is already gone, as a delivered
 * message's is when spool_finish() hands it over. */
static int
unlinked_fd(int i)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "%s/m%d", dir, i);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 && (write(fd, "x\n", 2) != 2 || unlink(path) != 0)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int
threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Does the thread that is not the main one block SIGTERM? (SigBlk in
 * /proc/self/task/TID/status, a hex mask: SIGTERM is bit 15 - 1.) */
static bool
closer_blocks_sigterm(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	bool blocks = false;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char path[300], line[256];
		FILE *f;

		if (de->d_name[0] == '.' ||
		    strtol(de->d_name, NULL, 10) == (long)getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status",
		    de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "SigBlk:", 7) == 0)
				blocks = (strtoull(line + 7, NULL, 16) &
					     (1ULL << (SIGTERM - 1))) != 0;
		fclose(f);
	}
	if (d != NULL)
		closedir(d);
	return blocks;
}

/* Hands n fresh descriptors over, drains, and counts those still open. */
static int
close_some(int n, int *fds)
{
	int open_after = 0;

	for (int i = 0; i < n; i++)
		fds[i] = unlinked_fd(i);
	for (int i = 0; i < n; i++)
		spool_close_later(fds[i]);
	spool_closer_drain();
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0 && fcntl(fds[i], F_GETFD) != -1)
			open_after++;
	return open_after;
}

int
main(void)
{
	int fds[N_FILES], status = -1, n;
	pid_t pid;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	alarm(60); /* a drain that never returns fails, never hangs */

	spool_closer_drain(); /* nothing handed over yet: returns */
	CHECK(threads() == 1, "no closer before first use: %d threads",
	    threads());

	n = close_some(N_FILES, fds);
	CHECK(fds[0] >= 0 && fds[N_FILES - 1] >= 0, "test files made");
	CHECK(n == 0, "%d of %d descriptors open after the drain", n, N_FILES);
	CHECK(threads() == 2, "the closes run on a thread: %d threads",
	    threads());
	CHECK(closer_blocks_sigterm(),
	    "the closer blocks signals (SIGTERM is the delivering thread's)");
	spool_close_later(-1); /* ignored */
	spool_closer_drain();

	/* A worker forked after the parent's closer ran. */
	pid = fork();
	if (pid == 0) {
		int mine[16];

		alarm(20);
		_exit(close_some(16, mine) == 0 && threads() == 2 ? 0 : 1);
	}
	CHECK(pid > 0, "fork: %s", strerror(errno));
	if (pid > 0)
		waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "forked worker: status %#x (signal %d: hung in a drain)", status,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);

	/* The parent's closer still works after the fork. */
	n = close_some(8, fds);
	CHECK(n == 0, "parent after fork: %d descriptors open", n);

	rmdir(dir);
	return tap_done();
}
