/*
 * stats.c - delivery counters per relay in the spool's run/ directory,
 *           added to by every flusher and read by `mailshim stats`.
 *
 * API:    stats_add(), stats_read(), stats_reset().  Documented in stats.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "stats.h"

static void
stats_name(char *buf, size_t len, const char *relay)
{
	snprintf(buf, len, "stats-%s", relay);
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '/')
			*p = '_';
}

static void
parse_counts(const char *text, struct relay_counts *c, long long *since)
{
	const char *p;

	memset(c, 0, sizeof(*c));
	*since = 0;
	if ((p = strstr(text, "since ")) != NULL)
		*since = strtoll(p + 6, NULL, 10);
	if ((p = strstr(text, "sent ")) != NULL)
		c->sent = strtoul(p + 5, NULL, 10);
	if ((p = strstr(text, "deferred ")) != NULL)
		c->deferred = strtoul(p + 9, NULL, 10);
	if ((p = strstr(text, "dead ")) != NULL)
		c->dead = strtoul(p + 5, NULL, 10);
}

enum ms_status
stats_add(int runfd, const char *relay, const struct relay_counts *add,
    struct ms_err *err)
{
	struct relay_counts c;
	long long since;
	char buf[256], name[300];
	int fd, n;
	enum ms_status st;

	stats_name(name, sizeof(name), relay);
	if ((st = ms_open_run_file(runfd, name, O_RDWR | O_CREAT, &fd, err)) !=
	    MS_OK)
		return st;
	if (flock(fd, LOCK_EX) != 0) {
		close(fd);
		return ms_err_set(
		    err, MS_TEMP, "cannot lock stats: %s", strerror(errno));
	}
	ms_read_text(fd, buf, sizeof(buf));
	parse_counts(buf, &c, &since);
	if (since == 0)
		since = (long long)time(NULL);
	c.sent += add->sent;
	c.deferred += add->deferred;
	c.dead += add->dead;
	n = snprintf(buf, sizeof(buf),
	    "since %lld\nsent %lu\ndeferred %lu\n"
	    "dead %lu\n",
	    since, c.sent, c.deferred, c.dead);
	/* Same or longer than before (counters only grow): overwrite. */
	if (pwrite(fd, buf, (size_t)n, 0) != n || ftruncate(fd, n) != 0)
		st = ms_err_set(
		    err, MS_TEMP, "cannot write stats: %s", strerror(errno));
	close(fd);
	return st;
}

enum ms_status
stats_read(int runfd, const char *relay, struct relay_counts *out,
    long long *since, struct ms_err *err)
{
	char buf[256], name[300];
	int fd;
	enum ms_status st;

	memset(out, 0, sizeof(*out));
	*since = 0;
	stats_name(name, sizeof(name), relay);
	if ((st = ms_open_run_file(runfd, name, O_RDONLY, &fd, err)) != MS_OK ||
	    fd < 0)
		return st;
	ms_read_text(fd, buf, sizeof(buf));
	close(fd);
	parse_counts(buf, out, since);
	return MS_OK;
}

void
stats_reset(int runfd, const char *relay)
{
	char name[300];

	stats_name(name, sizeof(name), relay);
	unlinkat(runfd, name, 0);
}
