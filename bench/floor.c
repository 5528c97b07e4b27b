/*
 * bench/floor.c - the durable-write floor of this disk, and a precise
 *                 spawn timer, for bench/run and bench/peers.
 *
 * Usage:  floor write DIR RUNS [SIZE]
 *             RUNS times: open DIR/tmp/N with O_CREAT|O_EXCL, write SIZE
 *             bytes (default 2048), fsync, close, rename to DIR/new/N,
 *             fsync DIR/new: what the front end must do at the least to
 *             store one message durably.
 *         floor spawn RUNS INPUT CMD [ARG...]
 *             RUNS times: fork, stdin from INPUT, stdout/stderr to
 *             /dev/null, exec CMD, wait; fails if CMD exits non-zero.
 *         Both print "MEDIAN MIN TOTAL" in microseconds.
 *
 * Built by bench/run with cc into its temp dir; not part of `make`.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
floor_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
floor_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* Prints "median_us min_us total_us". */
static void
floor_report(long long *v, long n)
{
	long long total = 0;

	for (long i = 0; i < n; i++)
		total += v[i];
	qsort(v, (size_t)n, sizeof(*v), floor_cmp);
	printf("%.1f %.1f %.1f\n", v[n / 2] / 1000.0, v[0] / 1000.0,
	    total / 1000.0);
}

static long
floor_parse_long(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > max) {
		fprintf(stderr, "floor: bad number %s\n", s);
		exit(64);
	}
	return v;
}

static int
floor_write(const char *dir, long runs, long size)
{
	char tmpd[4096], newd[4096], from[4200], to[4200];
	char *buf = malloc((size_t)size);
	long long *v = calloc((size_t)runs, sizeof(*v));
	int dfd, rc = 1;

	if (buf == NULL || v == NULL)
		goto out;
	memset(buf, 'x', (size_t)size);
	snprintf(tmpd, sizeof(tmpd), "%s/tmp", dir);
	snprintf(newd, sizeof(newd), "%s/new", dir);
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(tmpd, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(newd, 0700) != 0 && errno != EEXIST)) {
		perror("floor: mkdir");
		goto out;
	}
	if ((dfd = open(newd, O_RDONLY | O_DIRECTORY)) < 0) {
		perror("floor: open new");
		goto out;
	}
	for (long i = 0; i < runs; i++) {
		long long t0 = floor_now_ns();
		int fd;

		snprintf(from, sizeof(from), "%s/%ld.%ld", tmpd, (long)getpid(), i);
		snprintf(to, sizeof(to), "%s/%ld.%ld", newd, (long)getpid(), i);
		fd = open(from, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
		if (fd < 0 || write(fd, buf, (size_t)size) != (ssize_t)size ||
		    fsync(fd) != 0 || close(fd) != 0 || rename(from, to) != 0 ||
		    fsync(dfd) != 0) {
			perror("floor: write");
			close(dfd);
			goto out;
		}
		v[i] = floor_now_ns() - t0;
	}
	close(dfd);
	floor_report(v, runs);
	rc = 0;
out:
	free(buf);
	free(v);
	return rc;
}

static int
floor_spawn(long runs, const char *input, char **argv)
{
	long long *v = calloc((size_t)runs, sizeof(*v));
	int rc = 1;

	if (v == NULL)
		return 1;
	for (long i = 0; i < runs; i++) {
		long long t0 = floor_now_ns();
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			perror("floor: fork");
			goto out;
		}
		if (pid == 0) {
			int in = open(input, O_RDONLY);
			int nul = open("/dev/null", O_WRONLY);

			if (in < 0 || nul < 0 || dup2(in, 0) < 0 ||
			    dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
				_exit(127);
			execv(argv[0], argv);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "floor: %s failed\n", argv[0]);
			goto out;
		}
		v[i] = floor_now_ns() - t0;
	}
	floor_report(v, runs);
	rc = 0;
out:
	free(v);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "write") == 0)
		return floor_write(argv[2], floor_parse_long(argv[3], 1000000),
		    argc > 4 ? floor_parse_long(argv[4], 1L << 30) : 2048);
	if (argc >= 5 && strcmp(argv[1], "spawn") == 0)
		return floor_spawn(floor_parse_long(argv[2], 1000000), argv[3],
		    argv + 4);
	fprintf(stderr, "usage: floor write DIR RUNS [SIZE]\n"
	    "       floor spawn RUNS INPUT CMD [ARG...]\n");
	return 64;
}
