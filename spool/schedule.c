/*
 * schedule.c - the schedule of deferred messages: deferred/B/ID and
 *              ID.state, one bucket B per UTC minute of the next attempt
 *              (YYYYMMDDHHMM), so that a pass that finds nothing due
 *              reads a few bucket names, not the whole queue.
 *
 * API:    spool_schedule(), spool_return_due(), spool_return_all(),
 *         spool_return_id(), sched_parked(), sched_sweep(),
 *         spool_upgrade(). Documented in schedule.h; the bucket names
 *         and the listing of deferred/ are in schedule_bucket.c, the
 *         read-only walks of the admin commands in schedule_walk.c.
 * Trust:  nothing in deferred/ is trusted: bucket names must parse and
 *         format back to themselves, buckets are opened with
 *         O_DIRECTORY|O_NOFOLLOW, only queue-id names inside are moved.
 * Moves:  file = message then state; return = state then message (the
 *         invariants in schedule.h and spool/README). Every rename
 *         tolerates ENOENT: another flusher may have moved it first.
 * Errors: MS_TEMP with the path and the cause.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "schedule.h"

#define STATE_SUFFIX ".state"
#define STATE_NAME   (SPOOL_ID_LEN + sizeof(STATE_SUFFIX))
#define FILE_TRIES   4 /* a bucket removed under us: make it again */

enum ms_status
spool_schedule(struct spool_msg *m, bool *filed, struct ms_err *err)
{
	struct spool *s = m->s;
	char state[STATE_NAME], bucket[SCHED_NAME_LEN + 1];
	long long start, now;
	bool created = false;
	struct stat sb;
	int bfd = -1;

	*filed = false;
	if (s->deferfd < 0 || m->area != AREA_QUEUE)
		return MS_OK;
	snprintf(state, sizeof(state), "%s" STATE_SUFFIX, m->id);
	if (fstatat(s->queuefd, state, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT
		    ? MS_OK
		    : ms_err_set(err, MS_TEMP, "cannot stat queue/%s: %s",
			  state, strerror(errno));
	/* Due within a minute, or within this minute: it stays in queue/
	 * (small either way). Its bucket would be due at once, and a
	 * returner could take the message before its state followed it. */
	now = (long long)time(NULL);
	if ((long long)sb.st_mtime - now < SCHED_MIN_WAIT ||
	    !sched_bucket_name((long long)sb.st_mtime, bucket) ||
	    !sched_bucket_parse(bucket, &start) || start <= now)
		return MS_OK;
	for (int i = 0; i < FILE_TRIES; i++) {
		if (mkdirat(s->deferfd, bucket, 0700) == 0)
			created = true;
		else if (errno != EEXIST)
			return ms_err_set(err, MS_TEMP,
			    "cannot create deferred/%s: %s", bucket,
			    strerror(errno));
		if ((bfd = sched_open_bucket(s, bucket)) < 0 && errno != ENOENT)
			return ms_err_set(err, MS_TEMP,
			    "cannot open deferred/%s: %s", bucket,
			    strerror(errno));
		if (bfd < 0)
			continue; /* removed by a concurrent rmdir */
		/* The message first: (b) in schedule.h. */
		if (renameat(s->queuefd, m->id, bfd, m->id) == 0)
			break;
		if (errno != ENOENT) {
			int e = errno;

			close(bfd);
			return ms_err_set(err, MS_TEMP,
			    "cannot move %s to deferred/%s: %s", m->id, bucket,
			    strerror(e));
		}
		/* We hold the claim, so the message is where it was: it was
		 * the bucket that went (emptied and removed meanwhile). */
		close(bfd);
		bfd = -1;
	}
	if (bfd < 0)
		return ms_err_set(err, MS_TEMP,
		    "cannot move %s to deferred/%s: the bucket keeps "
		    "vanishing",
		    m->id, bucket);
	*filed = true;
	if (renameat(s->queuefd, state, bfd, state) != 0 && errno != ENOENT) {
		int e = errno;

		close(bfd);
		/* Recoverable as it is: (b) finds the state in queue/. */
		return ms_err_set(err, MS_TEMP,
		    "cannot move %s to deferred/%s: %s", state, bucket,
		    strerror(e));
	}
	if (fsync(bfd) != 0 || fsync(s->queuefd) != 0 ||
	    (created && fsync(s->deferfd) != 0)) {
		int e = errno;

		close(bfd);
		return ms_err_set(err, MS_TEMP,
		    "cannot sync deferred/%s after filing %s: %s", bucket,
		    m->id, strerror(e));
	}
	close(bfd);
	return MS_OK;
}

static void
note(long long *next_due, long long t)
{
	if (next_due != NULL && t > 0 && (*next_due == 0 || t < *next_due))
		*next_due = t;
}

/* bucket/ID -> queue/ID: the state first, then the message. True when
 * this call moved the message. */
static bool
return_one(struct spool *s, int bfd, const char *bucket, const char *id)
{
	char state[STATE_NAME];

	snprintf(state, sizeof(state), "%.22s" STATE_SUFFIX, id);
	if (renameat(bfd, state, s->queuefd, state) != 0 && errno != ENOENT) {
		log_msg(LOG_ERR, "cannot return %s/deferred/%s/%s: %s", s->dir,
		    bucket, state, strerror(errno));
		return false;
	}
	if (renameat(bfd, id, s->queuefd, id) == 0)
		return true;
	if (errno != ENOENT)
		log_msg(LOG_ERR, "cannot return %s/deferred/%s/%s: %s", s->dir,
		    bucket, id, strerror(errno));
	return false;
}

/* The due time of a message in a bucket: its state beside it, else by
 * (b) queue/ID.state. 0 (due) when neither exists, -1 when unknown. */
static long long
due_time(struct spool *s, int bfd, const char *bucket, const char *id)
{
	char state[STATE_NAME];
	struct stat sb;

	snprintf(state, sizeof(state), "%.22s" STATE_SUFFIX, id);
	if (fstatat(bfd, state, &sb, AT_SYMLINK_NOFOLLOW) == 0 ||
	    (errno == ENOENT &&
		fstatat(s->queuefd, state, &sb, AT_SYMLINK_NOFOLLOW) == 0))
		return (long long)sb.st_mtime;
	if (errno != ENOENT) {
		log_msg(LOG_ERR,
		    "cannot stat the state of %s/deferred/%s/%s: %s", s->dir,
		    bucket, id, strerror(errno));
		return -1;
	}
	/* Only by hand: never stuck, but it goes out as never tried. */
	if (fstatat(bfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		log_msg(LOG_WARNING,
		    "%s/deferred/%s/%s has no state: returned as never tried",
		    s->dir, bucket, id);
	return 0;
}

/* A state leaves a bucket before its message and arrives after it: an
 * ID.state alone in a bucket that is due (no filer writes there) is an
 * orphan, left by a hand or a crash mid-delete. */
static void
drop_orphan(struct spool *s, int bfd, const char *bucket, const char *name)
{
	char id[SPOOL_ID_LEN + 1];
	struct stat sb;

	if (strlen(name) != STATE_NAME - 1 ||
	    strcmp(name + SPOOL_ID_LEN, STATE_SUFFIX) != 0)
		return;
	memcpy(id, name, SPOOL_ID_LEN);
	id[SPOOL_ID_LEN] = '\0';
	if (!spool_id_valid(id) ||
	    fstatat(bfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return;
	if (unlinkat(bfd, name, 0) == 0)
		log_msg(LOG_INFO, "removed orphan %s/deferred/%s/%s", s->dir,
		    bucket, name);
}

/* Returns what is due in one bucket (everything when all); fsyncs queue/
 * and the bucket once, then removes the bucket if it is empty. */
static size_t
return_bucket(struct spool *s, const char *bucket, long long now,
    long long late, bool all, long long *next_due)
{
	char safe[80];
	struct dirent *de;
	size_t n = 0;
	int bfd = sched_open_bucket(s, bucket);
	DIR *d;

	if (bfd < 0 || (d = ms_opendir_at(bfd)) == NULL) {
		if (errno != ENOENT) /* ENOENT: emptied by another flusher */
			log_msg(LOG_WARNING, "ignoring %s/deferred/%s: %s",
			    s->dir, sched_shown(safe, sizeof(safe), bucket),
			    errno == ELOOP || errno == ENOTDIR
				? "not a directory"
				: strerror(errno));
		if (bfd >= 0)
			close(bfd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		long long t;

		if (!spool_id_valid(de->d_name)) {
			drop_orphan(s, bfd, bucket, de->d_name);
			continue;
		}
		t = all ? 0 : due_time(s, bfd, bucket, de->d_name);
		if (t < 0)
			continue;
		if (t > now && t <= late) {
			note(next_due, t);
			continue;
		}
		if (return_one(s, bfd, bucket, de->d_name))
			n++;
	}
	closedir(d);
	/* Before anything returned is delivered: a message must not go
	 * back to its bucket after its outcome is recorded in queue/. */
	if (n > 0 && (fsync(s->queuefd) != 0 || fsync(bfd) != 0))
		log_msg(LOG_ERR,
		    "cannot sync %s/queue after returning from "
		    "deferred/%s: %s",
		    s->dir, bucket, strerror(errno));
	close(bfd);
	/* Not empty (ENOTEMPTY, EEXIST) is the common answer. */
	unlinkat(s->deferfd, bucket, AT_REMOVEDIR);
	return n;
}

size_t
spool_return_due(
    struct spool *s, long long now, long long horizon, long long *next_due)
{
	struct sched_bucket *v;
	struct ms_err err;
	long long late = now + horizon + SCHED_SLACK;
	size_t n, moved = 0;

	if (sched_list_buckets(s, false, &v, &n, &err) != MS_OK) {
		log_msg(LOG_ERR, "%s", err.msg);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		/* A bucket beyond now + retry_max: the clock went back. */
		if (v[i].start > now && v[i].start <= late) {
			note(next_due, v[i].start);
			continue;
		}
		moved +=
		    return_bucket(s, v[i].name, now, late, false, next_due);
	}
	free(v);
	return moved;
}

size_t
spool_return_all(struct spool *s)
{
	struct sched_bucket *v;
	struct ms_err err;
	size_t n, moved = 0;

	if (sched_list_buckets(s, true, &v, &n, &err) != MS_OK) {
		log_msg(LOG_ERR, "%s", err.msg);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		moved += return_bucket(s, v[i].name, 0, 0, true, NULL);
	free(v);
	return moved;
}

enum ms_status
spool_return_id(
    struct spool *s, const char *id, bool *found, struct ms_err *err)
{
	char bucket[SCHED_NAME_LEN + 1];
	int bfd;

	*found = false;
	if (!sched_find(s, id, bucket))
		return MS_OK;
	if ((bfd = sched_open_bucket(s, bucket)) < 0)
		return ms_err_set(err, MS_TEMP, "cannot open deferred/%s: %s",
		    bucket, strerror(errno));
	*found = true;
	return_one(s, bfd, bucket, id);
	if (fsync(s->queuefd) != 0 || fsync(bfd) != 0) {
		int e = errno;

		close(bfd);
		return ms_err_set(err, MS_TEMP,
		    "cannot sync queue/ after returning %s: %s", id,
		    strerror(e));
	}
	close(bfd);
	unlinkat(s->deferfd, bucket, AT_REMOVEDIR);
	return MS_OK;
}

/* Is id in bucket? Anything but a clear "no" counts as yes. */
static bool
in_bucket(struct spool *s, const char *bucket, const char *id)
{
	struct stat sb;
	bool there;
	int bfd = sched_open_bucket(s, bucket);

	if (bfd < 0)
		return errno != ENOENT;
	there =
	    fstatat(bfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
	close(bfd);
	return there;
}

bool
sched_parked(struct spool *s, long long mtime, const char *id)
{
	char bucket[SCHED_NAME_LEN + 1];

	if (s->deferfd < 0 || !sched_bucket_name(mtime, bucket))
		return false;
	return in_bucket(s, bucket, id);
}

void
sched_sweep(struct spool *s)
{
	struct sched_bucket *v;
	struct ms_err err;
	size_t n;

	/* Names only, so that a run started by a timer stays cheap however
	 * many are deferred: odd names said once, empty buckets removed
	 * (ENOTEMPTY is the common answer). Orphan states go when their
	 * bucket comes due (return_bucket). */
	if (sched_list_buckets(s, true, &v, &n, &err) != MS_OK) {
		log_msg(LOG_ERR, "%s", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++)
		unlinkat(s->deferfd, v[i].name, AT_REMOVEDIR);
	free(v);
}

size_t
spool_upgrade(struct spool *s, long long horizon)
{
	struct spool_entry *v = NULL;
	struct ms_err err;
	long long now = (long long)time(NULL);
	size_t n = 0, filed = 0;

	if (s->deferfd < 0 || spool_list(s, AREA_QUEUE, &v, &n, &err) != MS_OK)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct spool_msg m;
		bool busy, done;

		if (!v[i].has_state || v[i].next_try <= now ||
		    v[i].next_try > now + horizon)
			continue;
		if (spool_claim(s, AREA_QUEUE, v[i].id, &m, &busy, &err) !=
			MS_OK ||
		    busy)
			continue;
		if (spool_schedule(&m, &done, &err) != MS_OK)
			log_msg(LOG_ERR, "%s: %s", m.id, err.msg);
		else if (done)
			filed++;
		spool_release(&m);
	}
	free(v);
	return filed;
}
