/*
 * ratelimit.c - shared per-relay token buckets in the spool's run/
 *               directory (format and rules in ratelimit.h): the bucket
 *               file, the waits, and the relay hooks. The bucket's
 *               arithmetic is in ratelimit_bucket.c, relay holds in
 *               ratelimit_hold.c, the run/ file helpers in run_file.c.
 *
 * API:    ratelimit_acquire(), ratelimit_slow(), ratelimit_sent(),
 *         ratelimit_stop_flag(), ratelimit_pacer() (ratelimit.h).
 * Trust:  run/ is the flusher's own 0700 directory; files are opened
 *         without following symlinks and their contents are parsed
 *         defensively (a damaged file is reset, never trusted). Updates
 *         hold an flock on run/ and replace the file by rename.
 * Errors: MS_TEMP with the path and cause.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h> /* isfinite, ceil */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ratelimit.h"
#include "run_file.h"

/* run/rate-RELAY: the first line and RATELIMIT_LATE_MAX "late" lines */
#define RL_FILE_MAX (128 + RATELIMIT_LATE_MAX * 48)

/* ---- files ---- */

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const volatile sig_atomic_t *stop_flag;

void
ratelimit_stop_flag(const volatile sig_atomic_t *flag)
{
	stop_flag = flag;
}

/* Sleeps, but not through a request to stop (a termination signal is
 * never held back by a wait for the bucket). False when cut short. */
static bool
sleep_for(double secs)
{
	struct timespec ts, rem;

	if (secs <= 0)
		return true;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &rem) != 0 && errno == EINTR) {
		if (stop_flag != NULL && *stop_flag)
			return false;
		ts = rem;
	}
	return true;
}

/* Buckets of processes without a spool (runfd < 0). */
static struct {
	char name[160];
	struct rl_state st;
} local_buckets[16];

static struct rl_state *
local_bucket(const char *name)
{
	size_t i;

	for (i = 0; i < MS_ARRAY_LEN(local_buckets); i++) {
		if (strcmp(local_buckets[i].name, name) == 0)
			return &local_buckets[i].st;
		if (local_buckets[i].name[0] == '\0')
			break;
	}
	if (i == MS_ARRAY_LEN(local_buckets))
		i = 0; /* reuse; only precision suffers */
	snprintf(
	    local_buckets[i].name, sizeof(local_buckets[i].name), "%s", name);
	memset(&local_buckets[i].st, 0, sizeof(local_buckets[i].st));
	return &local_buckets[i].st;
}

static void
parse_state(const char *buf, struct rl_state *st)
{
	const char *p;

	memset(st, 0, sizeof(*st));
	if (sscanf(buf, "rl1 %lf %lf %lf %lf", &st->tokens, &st->last,
		&st->factor, &st->adjust) != 4) {
		memset(st, 0, sizeof(*st)); /* damaged: start afresh */
		return;
	}
	p = strchr(buf, '\n');
	if (p == NULL)
		return;
	if (sscanf(buf, "rl1 %*f %*f %*f %*f %lf", &st->seq) != 1 ||
	    !isfinite(st->seq) || st->seq < 0)
		st->seq = 0;
	for (p++; *p != '\0' && st->nlate < RATELIMIT_LATE_MAX;) {
		double pos, t;
		const char *nl = strchr(p, '\n');

		if (sscanf(p, "late %lf %lf", &pos, &t) == 2 && isfinite(pos) &&
		    isfinite(t)) {
			st->late[st->nlate].pos = pos;
			st->late[st->nlate].time = t;
			st->nlate++;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static void
format_state(char *buf, size_t len, const struct rl_state *st)
{
	size_t off;

	off = (size_t)snprintf(buf, len, "rl1 %.6f %.6f %.6f %.6f %.0f\n",
	    st->tokens, st->last, st->factor, st->adjust, st->seq);
	for (unsigned i = 0; i < st->nlate && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off,
		    "late %.0f %.6f\n", st->late[i].pos, st->late[i].time);
}

/* This process's last reservation per bucket: its next acquire says
 * when that send was over (ratelimit_done_step). */
static struct {
	char name[160];
	double pos, slot;
	double over; /* when the relay said it was over, 0 = not yet */
	unsigned n;
} mine[16];

static void
mine_report(const char *name, struct rl_state *st, double now, double rate)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(mine); i++) {
		if (mine[i].n > 0 && strcmp(mine[i].name, name) == 0) {
			ratelimit_done_step(st,
			    mine[i].over > 0 ? mine[i].over : now, rate,
			    mine[i].pos, mine[i].n, mine[i].slot);
			mine[i].n = 0;
			return;
		}
	}
}

/* The relay's send is over: remember when (the first time only). */
static void
mine_over(const char *name, double now)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(mine); i++)
		if (mine[i].n > 0 && mine[i].over == 0 &&
		    strcmp(mine[i].name, name) == 0)
			mine[i].over = now;
}

/* A send of n that leaves tokens saved lets the next go at once: for
 * its lateness record it counts as that many more recipients. */
static unsigned
burst(const struct rl_state *st, unsigned n)
{
	return st->tokens > 0 ? n + (unsigned)ceil(st->tokens) : n;
}

static void
mine_record(const char *name, double pos, unsigned n, double slot)
{
	size_t i, free_i = 0;

	for (i = 0; i < MS_ARRAY_LEN(mine); i++) {
		if (strcmp(mine[i].name, name) == 0)
			break;
		if (mine[i].name[0] == '\0' && free_i == 0)
			free_i = i + 1;
	}
	if (i == MS_ARRAY_LEN(mine))
		i = free_i > 0 ? free_i - 1 : 0;
	snprintf(mine[i].name, sizeof(mine[i].name), "%s", name);
	mine[i].pos = pos;
	mine[i].n = n;
	mine[i].slot = slot;
	mine[i].over = 0;
}

/* Runs op under the relay's lock: 0 = acquire n, 1 = slow. */
static enum ms_status
bucket_op(int runfd, const char *relay, double rate, unsigned n, int op,
    double *wait, bool *reserved, struct ms_err *err)
{
	char name[160], buf[RL_FILE_MAX];
	struct rl_state st, saved;
	enum ms_status rc;
	double now, pos = 0;
	int fd;

	*wait = 0;
	rc = run_file_name(name, sizeof(name), "rate-", relay, err);
	if (rc != MS_OK)
		return rc;
	if (runfd < 0) {
		struct rl_state *lst = local_bucket(name);

		if (op == 1) {
			ratelimit_slow_step(lst, mono_now(), rate);
			return MS_OK;
		}
		now = mono_now();
		mine_report(name, lst, now, rate);
		saved = *lst;
		*reserved = ratelimit_step_at(lst, now, rate, n, wait, &pos);
		if (!*reserved)
			return MS_OK;
		if (*wait > RATELIMIT_MAX_WAIT) {
			*lst = saved;
			return ms_err_set(err, MS_TEMP,
			    "relay %s: sending rate "
			    "limit would wait %.0f s",
			    relay, *wait);
		}
		mine_record(name, pos, burst(lst, n), now + *wait);
		return MS_OK;
	}
	rc = run_file_lock(runfd, LOCK_EX, &fd, err);
	if (rc != MS_OK)
		return rc;
	run_file_read(runfd, name, buf, sizeof(buf));
	parse_state(buf, &st);
	now = mono_now();
	if (op == 1) {
		ratelimit_slow_step(&st, now, rate);
	} else {
		mine_report(name, &st, now, rate);
		saved = st;
		*reserved = ratelimit_step_at(&st, now, rate, n, wait, &pos);
		if (!*reserved) {
			/* nothing reserved; the report above is kept */
		} else if (*wait > RATELIMIT_MAX_WAIT) {
			rc = ms_err_set(err, MS_TEMP,
			    "relay %s: sending rate "
			    "limit would wait %.0f s",
			    relay, *wait);
			st = saved;
			*wait = 0;
			if (st.last <= 0)
				goto out;
		} else {
			mine_record(name, pos, burst(&st, n), now + *wait);
		}
	}
	format_state(buf, sizeof(buf), &st);
	if (run_file_write(runfd, name, buf, err) != MS_OK && rc == MS_OK)
		rc = MS_TEMP;
out:
	close(fd);
	return rc;
}

enum ms_status
ratelimit_acquire(
    int runfd, const char *relay, double rate, unsigned n, struct ms_err *err)
{
	enum ms_status rc;
	double wait;

	if (!(rate > 0) || n == 0)
		return MS_OK;
	for (;;) {
		bool reserved = true;

		if (stop_flag != NULL && *stop_flag)
			return ms_err_set(
			    err, MS_TEMP, "the flusher is stopping");
		rc = bucket_op(runfd, relay, rate, n, 0, &wait, &reserved, err);
		if (rc == MS_OK && !sleep_for(wait)) /* outside the lock */
			return ms_err_set(
			    err, MS_TEMP, "the flusher is stopping");
		if (rc != MS_OK || reserved)
			return rc;
	}
}

enum ms_status
ratelimit_slow(int runfd, const char *relay, double rate, struct ms_err *err)
{
	double wait;
	bool reserved;

	if (!(rate > 0))
		return MS_OK;
	return bucket_op(runfd, relay, rate, 0, 1, &wait, &reserved, err);
}

/* ---- the relay hooks ---- */

static enum ms_status
pacer_acquire(
    void *ctx, const char *relay, double rate, unsigned n, struct ms_err *err)
{
	return ratelimit_acquire(*(int *)ctx, relay, rate, n, err);
}

void
ratelimit_sent(const char *relay)
{
	char name[160];
	struct ms_err err;

	if (run_file_name(name, sizeof(name), "rate-", relay, &err) == MS_OK)
		mine_over(name, mono_now());
}

static void
pacer_sent(void *ctx, const char *relay)
{
	(void)ctx;
	ratelimit_sent(relay);
}

static void
pacer_slow(void *ctx, const char *relay, double rate)
{
	struct ms_err err;

	(void)ratelimit_slow(*(int *)ctx, relay, rate, &err);
}

static enum ms_status
pacer_hold_set(void *ctx, const char *relay, long long until,
    const char *reason, bool *first, struct ms_err *err)
{
	return relay_hold_set(*(int *)ctx, relay, until, reason, first, err);
}

static enum ms_status
pacer_hold_get(void *ctx, const char *relay, long long *until, char *reason,
    size_t len, struct ms_err *err)
{
	return relay_hold_get(*(int *)ctx, relay, until, reason, len, err);
}

void
ratelimit_pacer(struct relay_pacer *pc, int *runfd)
{
	pc->ctx = runfd;
	pc->acquire = pacer_acquire;
	pc->slow = pacer_slow;
	pc->sent = pacer_sent;
	pc->hold_set = pacer_hold_set;
	pc->hold_get = pacer_hold_get;
}
