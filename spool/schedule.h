/*
 * schedule.h - deferred messages filed by the minute of their next
 *              attempt, so that a pass reads only what is due.
 *
 * Layout (spool/README, "The schedule"):
 *   deferred/YYYYMMDDHHMM/ID, ID.state   one bucket per UTC minute
 * A move between queue/ and a bucket is two renames, in an order that
 * keeps every crash point recoverable without a search:
 *   file   (queue/ -> bucket, under the claim): MESSAGE, then STATE;
 *   return (bucket -> queue/): STATE, then MESSAGE.
 * So (a) queue/ID without queue/ID.state is fresh, (b) a message in a
 * bucket without its state has it in queue/ID.state, whose mtime names
 * that bucket, (c) queue/ID.state alone is an orphan only if
 * deferred/B(mtime)/ID does not exist either.
 *
 * Trust:  bucket names are parsed strictly (12 digits that format back
 *         to themselves); anything else in deferred/ is left alone with a
 *         log line and never followed (O_DIRECTORY|O_NOFOLLOW).
 * Errors: MS_TEMP with the path and cause; a concurrent mover's ENOENT
 *         is never an error.
 */
#ifndef MS_SCHEDULE_H
#define MS_SCHEDULE_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

#include "spool.h"

#define SCHED_NAME_LEN 12 /* YYYYMMDDHHMM */
/* Beyond now + retry_max + this, a stored time means the clock went
 * back: due now. The slack covers a pass that started a while ago. */
#define SCHED_SLACK 120
/* A deferral shorter than this stays in queue/ (see spool_schedule). */
#define SCHED_MIN_WAIT 60

/* The bucket of time t (unix seconds, UTC minute): false when t is
 * before 1970 or after 9999. */
bool sched_bucket_name(long long t, char name[SCHED_NAME_LEN + 1]);

/* The first second of bucket name; false for anything that is not a
 * canonical bucket name (so a bucket name never means two minutes). */
bool sched_bucket_parse(const char *name, long long *start);

struct sched_bucket {
	long long start;
	char name[SCHED_NAME_LEN + 1];
};

/* The buckets in deferred/, oldest first (a few thousand at most). Odd
 * names are skipped, logged when complain is set. *v is NULL and *n 0
 * for a spool without deferred/. Free *v. */
enum ms_status sched_list_buckets(struct spool *s, bool complain,
    struct sched_bucket **v, size_t *n, struct ms_err *err);

/* Opens bucket name of deferred/ (O_DIRECTORY|O_NOFOLLOW), -1 with
 * errno when it cannot. For spool/ only. */
int sched_open_bucket(const struct spool *s, const char *name);

/* name made fit for a log line into buf: printable, '/' as '_', cut to
 * len - 1 bytes. Returns buf. For spool/ only. */
const char *sched_shown(char *buf, size_t len, const char *name);

/* Files claimed queue message m into the bucket of its state's mtime:
 * message first, then state, then fsync of the bucket and queue/ (and
 * deferred/ for a new bucket). *filed false (MS_OK) when there is
 * nothing to file: no state, due within SCHED_MIN_WAIT seconds or within
 * the current minute, no deferred/. m
 * stays claimed (its area is still AREA_QUEUE: release it only). */
enum ms_status
spool_schedule(struct spool_msg *m, bool *filed, struct ms_err *err);

/* Returns to queue/ every message of a bucket whose minute has come or
 * lies beyond now + horizon (+ SCHED_SLACK), and whose state's mtime is
 * <= now or beyond that too; state first, then message; fsync of both
 * directories per bucket; emptied buckets removed. The earliest time
 * still waiting is noted in *next_due (0 = none; left alone if
 * earlier). Returns how many were returned. */
size_t spool_return_due(
    struct spool *s, long long now, long long horizon, long long *next_due);

/* Returns every deferred message to queue/ (retry): how many. */
size_t spool_return_all(struct spool *s);

/* Finds id in a bucket (name into bucket); false when none has it. */
bool sched_find(struct spool *s, const char *id, char *bucket);

/* Returns deferred message id to queue/ if it is in a bucket (admin
 * commands, before a claim). MS_OK with *found false when it is not. */
enum ms_status spool_return_id(
    struct spool *s, const char *id, bool *found, struct ms_err *err);

/* Makes bucket the directory AREA_DEFERRED reads (spool_peek). */
enum ms_status
sched_use_bucket(struct spool *s, const char *bucket, struct ms_err *err);

/* Calls fn for every deferred message: bucket by bucket in time order,
 * each sorted by id, with the bucket set for spool_peek(AREA_DEFERRED).
 * Memory: one bucket's ids. */
typedef void (*sched_each_fn)(struct spool *s, const char *id, void *arg);
enum ms_status
sched_each(struct spool *s, sched_each_fn fn, void *arg, struct ms_err *err);

/* Counts deferred messages by name only (no stat, no open); *oldest
 * becomes the smallest id seen if smaller (ids sort by arrival). */
enum ms_status sched_count(struct spool *s, size_t *n,
    char oldest[SPOOL_ID_LEN + 1], struct ms_err *err);

/* For spool_sweep: is queue/ID.state (of this mtime) the state of a
 * message in deferred/B(mtime)/? Then it is no orphan. */
bool sched_parked(struct spool *s, long long mtime, const char *id);

/* Says what in deferred/ is not a bucket, removes empty buckets; reads
 * no bucket (an orphan ID.state, without its ID beside it, is removed
 * when its bucket comes due). */
void sched_sweep(struct spool *s);

/* An old spool (deferred pairs in queue/): files every message of
 * queue/ whose state is not yet due, and no further than now + horizon,
 * under its claim. Returns how many were filed. */
size_t spool_upgrade(struct spool *s, long long horizon);

#endif
