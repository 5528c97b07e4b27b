/*
 * pullstats.c - `mailshim pull` counters per SQS queue in run/, added to
 *               by every puller and read by `mailshim stats`.
 *
 * API:    pullstats_add(), pullstats_read(), pullstats_list(),
 *         pullstats_reset().  Documented in pullstats.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "pullstats.h"

#define PREFIX "pullstats-"

static const char *const fields[] = { "received", "written", "duplicates",
	"deleted", "failed" };

static unsigned long *
field(struct pull_counts *c, size_t i)
{
	unsigned long *f[] = { &c->received, &c->written, &c->duplicates,
		&c->deleted, &c->failed };

	return f[i];
}

static void
file_name(char *buf, size_t len, const char *queue)
{
	snprintf(buf, len, PREFIX "%s", queue);
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '/')
			*p = '_';
}

static void
parse(const char *text, struct pull_counts *c, long long *since)
{
	const char *p;

	memset(c, 0, sizeof(*c));
	*since = 0;
	if ((p = strstr(text, "since ")) != NULL)
		*since = strtoll(p + 6, NULL, 10);
	for (size_t i = 0; i < MS_ARRAY_LEN(fields); i++) {
		char key[32];

		snprintf(key, sizeof(key), "\n%s ", fields[i]);
		if ((p = strstr(text, key)) != NULL)
			*field(c, i) = strtoul(p + strlen(key), NULL, 10);
	}
}

enum ms_status
pullstats_add(int runfd, const char *queue, const struct pull_counts *add,
    struct ms_err *err)
{
	struct pull_counts c, a = *add;
	long long since;
	char buf[512], name[300];
	int fd, n = 0;
	enum ms_status st;

	file_name(name, sizeof(name), queue);
	if ((st = ms_open_run_file(runfd, name, O_RDWR | O_CREAT, &fd, err)) !=
	    MS_OK)
		return st;
	if (flock(fd, LOCK_EX) != 0) {
		close(fd);
		return ms_err_set(err, MS_TEMP, "cannot lock pull stats: %s",
		    strerror(errno));
	}
	ms_read_text(fd, buf, sizeof(buf));
	parse(buf, &c, &since);
	if (since == 0)
		since = (long long)time(NULL);
	n = snprintf(buf, sizeof(buf), "since %lld\n", since);
	for (size_t i = 0; i < MS_ARRAY_LEN(fields); i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s %lu\n",
		    fields[i], *field(&c, i) + *field(&a, i));
	if (pwrite(fd, buf, (size_t)n, 0) != n || ftruncate(fd, n) != 0)
		st = ms_err_set(err, MS_TEMP, "cannot write pull stats: %s",
		    strerror(errno));
	close(fd);
	return st;
}

enum ms_status
pullstats_read(int runfd, const char *queue, struct pull_counts *out,
    long long *since, struct ms_err *err)
{
	char buf[512], name[300];
	int fd;
	enum ms_status st;

	memset(out, 0, sizeof(*out));
	*since = 0;
	file_name(name, sizeof(name), queue);
	if ((st = ms_open_run_file(runfd, name, O_RDONLY, &fd, err)) != MS_OK ||
	    fd < 0)
		return st;
	ms_read_text(fd, buf, sizeof(buf));
	close(fd);
	parse(buf, out, since);
	return MS_OK;
}

void
pullstats_list(int runfd, void (*fn)(const char *queue, void *arg), void *arg)
{
	struct dirent *de;
	DIR *d;

	if ((d = ms_opendir_at(runfd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, PREFIX, strlen(PREFIX)) == 0 &&
		    de->d_name[strlen(PREFIX)] != '\0')
			fn(de->d_name + strlen(PREFIX), arg);
	closedir(d);
}

static void
reset_one(const char *queue, void *arg)
{
	char name[300];

	file_name(name, sizeof(name), queue);
	unlinkat(*(int *)arg, name, 0);
}

void
pullstats_reset(int runfd)
{
	pullstats_list(runfd, reset_one, &runfd);
}
