/*
 * schedule_walk.c - the read-only walks of the schedule that the admin
 *                   commands need: find a message's bucket, list every
 *                   deferred message bucket by bucket, count them.
 *
 * API:    sched_find(), sched_use_bucket(), sched_each(), sched_count().
 *         Documented in schedule.h.
 * Memory: one bucket's ids at a time, whatever the size of the queue.
 * Threads: sched_count() reads buckets in SCHED_COUNT_THREADS threads.
 * Trust:  bucket names come from sched_list_buckets() (parsed strictly)
 *         and are opened with O_DIRECTORY|O_NOFOLLOW; only names that
 *         are queue ids are reported.
 * Errors: MS_TEMP with the cause; a bucket emptied and removed by a
 *         flusher during the walk is skipped.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schedule.h"

bool
sched_find(struct spool *s, const char *id, char *bucket)
{
	struct sched_bucket *v;
	struct ms_err err;
	bool found = false;
	size_t n;

	if (!spool_id_valid(id) ||
	    sched_list_buckets(s, false, &v, &n, &err) != MS_OK)
		return false;
	for (size_t i = 0; i < n && !found; i++) {
		struct stat sb;
		int bfd = sched_open_bucket(s, v[i].name);

		if (bfd < 0)
			continue;
		if (fstatat(bfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
			memcpy(bucket, v[i].name, SCHED_NAME_LEN + 1);
			found = true;
		}
		close(bfd);
	}
	free(v);
	return found;
}

enum ms_status
sched_use_bucket(struct spool *s, const char *bucket, struct ms_err *err)
{
	if (s->bucketfd >= 0)
		close(s->bucketfd);
	if ((s->bucketfd = sched_open_bucket(s, bucket)) < 0)
		return ms_err_set(err, MS_TEMP, "cannot open deferred/%s: %s",
		    bucket, strerror(errno));
	return MS_OK;
}

struct idbuf {
	char id[SPOOL_ID_LEN + 1];
};

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct idbuf *)a)->id, ((const struct idbuf *)b)->id);
}

/* One bucket's ids, sorted. */
static enum ms_status
read_ids(int bfd, struct idbuf **out, size_t *count, struct ms_err *err)
{
	struct idbuf *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = ms_opendir_at(bfd);

	*out = NULL;
	*count = 0;
	if (d == NULL)
		return ms_err_set(
		    err, MS_TEMP, "cannot read a bucket: %s", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!spool_id_valid(de->d_name))
			continue;
		if ((nv = ms_grow(v, &cap, n, sizeof(*v), 256)) == NULL) {
			free(v);
			closedir(d);
			return ms_err_set(err, MS_TEMP, "out of memory");
		}
		v = nv;
		memcpy(v[n++].id, de->d_name, SPOOL_ID_LEN + 1);
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), id_cmp);
	*out = v;
	*count = n;
	return MS_OK;
}

enum ms_status
sched_each(struct spool *s, sched_each_fn fn, void *arg, struct ms_err *err)
{
	struct sched_bucket *v;
	enum ms_status st;
	size_t n;

	if ((st = sched_list_buckets(s, false, &v, &n, err)) != MS_OK)
		return st;
	for (size_t i = 0; i < n; i++) {
		struct idbuf *ids;
		size_t k;

		if (sched_use_bucket(s, v[i].name, err) != MS_OK)
			continue; /* emptied and removed since the listing */
		if ((st = read_ids(s->bucketfd, &ids, &k, err)) != MS_OK)
			break;
		for (size_t j = 0; j < k; j++)
			fn(s, ids[j].id, arg);
		free(ids);
	}
	free(v);
	return st;
}

/* Counting a million deferred messages reads two million names (each
 * message and its state), nearly all of that time in the kernel's walk
 * of each bucket's hash tree (bench/run, measure 6: `stats`). Buckets
 * are independent directories, so this many threads share them, each
 * taking every SCHED_COUNT_THREADS-th: on two cores the count takes
 * about half the time. */
#define SCHED_COUNT_THREADS 2

struct count_part {
	const struct spool *s;
	const struct sched_bucket *v;
	size_t first, nbuckets; /* reads v[first], v[first + THREADS], ... */
	size_t count;
	char oldest[SPOOL_ID_LEN + 1];
};

/* One bucket's ids into part; a bucket emptied and removed by a flusher
 * since the listing counts as empty. */
static void
count_bucket(struct count_part *part, const char *name)
{
	int bfd = sched_open_bucket(part->s, name);
	struct dirent *de;
	DIR *d;

	if (bfd < 0)
		return;
	d = ms_opendir_at(bfd);
	close(bfd);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!spool_id_valid(de->d_name))
			continue;
		part->count++;
		if (part->oldest[0] == '\0' ||
		    strcmp(de->d_name, part->oldest) < 0)
			memcpy(part->oldest, de->d_name, SPOOL_ID_LEN + 1);
	}
	closedir(d);
}

static void *
count_buckets(void *arg)
{
	struct count_part *part = arg;

	for (size_t i = part->first; i < part->nbuckets;
	     i += SCHED_COUNT_THREADS)
		count_bucket(part, part->v[i].name);
	return NULL;
}

enum ms_status
sched_count(struct spool *s, size_t *count, char oldest[SPOOL_ID_LEN + 1],
    struct ms_err *err)
{
	struct count_part part[SCHED_COUNT_THREADS] = { 0 };
	pthread_t helper[SCHED_COUNT_THREADS];
	bool started[SCHED_COUNT_THREADS] = { false };
	struct sched_bucket *v;
	enum ms_status st;
	size_t n;

	*count = 0;
	if ((st = sched_list_buckets(s, false, &v, &n, err)) != MS_OK)
		return st;
	for (size_t t = 0; t < SCHED_COUNT_THREADS; t++) {
		part[t].s = s;
		part[t].v = v;
		part[t].first = t;
		part[t].nbuckets = n;
		if (t > 0 && t < n)
			started[t] = pthread_create(&helper[t], NULL,
					 count_buckets, &part[t]) == 0;
	}
	/* A helper that could not start: its share is read here, the same
	 * count, only slower. */
	for (size_t t = 0; t < SCHED_COUNT_THREADS; t++) {
		if (started[t])
			pthread_join(helper[t], NULL);
		else
			count_buckets(&part[t]);
		*count += part[t].count;
		if (part[t].oldest[0] != '\0' &&
		    (oldest[0] == '\0' || strcmp(part[t].oldest, oldest) < 0))
			memcpy(oldest, part[t].oldest, SPOOL_ID_LEN + 1);
	}
	free(v);
	return MS_OK;
}
