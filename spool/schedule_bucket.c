/*
 * schedule_bucket.c - the buckets of deferred/: a bucket's name is the
 *                     UTC minute of its messages' next attempt
 *                     (YYYYMMDDHHMM); names to times and back, opening
 *                     a bucket, and listing them in time order.
 *
 * API:    sched_bucket_name(), sched_bucket_parse(), sched_open_bucket(),
 *         sched_list_buckets(), sched_shown(). Documented in schedule.h.
 * Trust:  a name is a bucket only if it parses and formats back to
 *         itself (so no name means two minutes); anything else in
 *         deferred/ is skipped, and said when the caller asks.
 * Errors: MS_TEMP with the path and the cause.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "schedule.h"

bool
sched_bucket_name(long long t, char name[SCHED_NAME_LEN + 1])
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];

	if (t < 0 || gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999)
		return false;
	snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	if (strlen(buf) != SCHED_NAME_LEN)
		return false;
	memcpy(name, buf, SCHED_NAME_LEN + 1);
	return true;
}

static int
digits(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

bool
sched_bucket_parse(const char *name, long long *start)
{
	char again[SCHED_NAME_LEN + 1];
	struct tm tm;
	time_t t;

	if (strlen(name) != SCHED_NAME_LEN)
		return false;
	for (int i = 0; i < SCHED_NAME_LEN; i++)
		if (name[i] < '0' || name[i] > '9')
			return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = digits(name, 4) - 1900;
	tm.tm_mon = digits(name + 4, 2) - 1;
	tm.tm_mday = digits(name + 6, 2);
	tm.tm_hour = digits(name + 8, 2);
	tm.tm_min = digits(name + 10, 2);
	t = timegm(&tm);
	/* 202602301200 normalises to March 2: not a name we write. */
	if (t == (time_t)-1 || !sched_bucket_name((long long)t, again) ||
	    strcmp(again, name) != 0)
		return false;
	*start = (long long)t;
	return true;
}

const char *
sched_shown(char *buf, size_t len, const char *name)
{
	size_t n = 0;

	for (const char *p = name; *p != '\0' && n + 1 < len; p++)
		buf[n++] = (*p >= '!' && *p <= '~' && *p != '/') ? *p : '_';
	buf[n] = '\0';
	return buf;
}

int
sched_open_bucket(const struct spool *s, const char *name)
{
	return openat(
	    s->deferfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int
bucket_cmp(const void *a, const void *b)
{
	const struct sched_bucket *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

enum ms_status
sched_list_buckets(struct spool *s, bool complain, struct sched_bucket **out,
    size_t *count, struct ms_err *err)
{
	struct sched_bucket *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*count = 0;
	if (s->deferfd < 0)
		return MS_OK;
	if ((d = ms_opendir_at(s->deferfd)) == NULL)
		return ms_err_set(err, MS_TEMP, "cannot read %s/deferred: %s",
		    s->dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char safe[80];
		long long start;
		bool odd_type =
		    de->d_type != DT_DIR && de->d_type != DT_UNKNOWN;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (!sched_bucket_parse(de->d_name, &start) || odd_type) {
			if (complain)
				log_msg(LOG_WARNING,
				    "ignoring %s/deferred/%s: %s", s->dir,
				    sched_shown(safe, sizeof(safe), de->d_name),
				    !sched_bucket_parse(de->d_name, &start)
					? "not a bucket name (YYYYMMDDHHMM)"
					: "not a directory");
			continue;
		}
		if ((nv = ms_grow(v, &cap, n, sizeof(*v), 64)) == NULL) {
			free(v);
			closedir(d);
			return ms_err_set(err, MS_TEMP, "out of memory");
		}
		v = nv;
		v[n].start = start;
		memcpy(v[n].name, de->d_name, SCHED_NAME_LEN + 1);
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), bucket_cmp);
	*out = v;
	*count = n;
	return MS_OK;
}
