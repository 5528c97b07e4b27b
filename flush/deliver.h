/*
 * deliver.h - one claimed message through its route: resolve recipients,
 *             try the route's relays in order, record every recipient's
 *             outcome, then finish, defer or bury the message.
 *
 * API:    deliver_ctx_init(), deliver_ctx_free(), deliver_one(),
 *         deliver_finish_pending(), deliver_prepare_ahead().
 *
 * Owns:   flush/: the delivery engine - passes, workers and --watch
 *         (run.c; a pass's loop in pass.c), one message's delivery
 *         (deliver.c; one attempt on one relay in attempt.c, its
 *         recipients in recipients.c, relay holds in holds.c, the
 *         dead-letter notice in notice.c), routes, backoff, pacing and
 *         the run/ hold files (ratelimit.c; the bucket's arithmetic in
 *         ratelimit_bucket.c, the hold files in ratelimit_hold.c, run/'s
 *         shared files in run_file.c), delivery counters.
 * Calls:  transports only through relay.h; spool/ and lib/. Nothing in
 *         flush/ includes a header from admin/.
 */
#ifndef MS_DELIVER_H
#define MS_DELIVER_H

#include <signal.h>
#include <stdbool.h>

#include "conf.h"
#include "relay.h"
#include "spool.h"
#include "stats.h"

struct aliases;

struct deliver_ctx {
	const struct ms_conf *conf;
	struct spool *spool;
	struct relay **relays; /* one per conf->relays[i], made lazily */
	struct aliases *aliases;
	bool aliases_broken;	     /* unreadable file: defer local names */
	struct relay_counts *counts; /* per relay, since the last flush */
	struct relay_pacer pacer;    /* run/ buckets and holds, for relays */
	/* Relay holds without a file read per message: an inotify watch
	 * on run/ (-1: none, every check reads the file) and, per relay,
	 * "run/hold-RELAY did not exist and no hold-* name changed since". */
	int holdwatch;
	bool *no_hold;
	/* Set (by a signal handler) when the flusher should stop: the
	 * transaction in progress ends, no other starts. NULL: never. */
	const volatile sig_atomic_t *stop;
	/* Work for the relays' waits (relay_msg.idle): the loop's file work
	 * for the messages before and after the one on the wire (pass.c).
	 * NULL: none. */
	bool (*idle)(void *arg);
	void *idle_arg;
	/* Set by the loop: a delivered message's removal may wait for the
	 * next relay wait (deliver_finish_pending); at most one waits, in
	 * finishing, still claimed. */
	bool finish_later;
	bool finish_pending;
	struct spool_msg finishing;
};

/* Writes a claimed fresh message's first state ahead of its turn (the
 * due time a kill in its transaction leaves), while a relay waits for a
 * reply about another message; its checkpoint then finds it written.
 * False when not done (not fresh, or the spool refused: the checkpoint
 * tries again and reports). spool_unprepare() undoes it. */
bool deliver_prepare_ahead(struct deliver_ctx *ctx, struct spool_msg *m);

/* Was the flusher asked to stop (SIGTERM)? */
static inline bool
deliver_stopping(const struct deliver_ctx *ctx)
{
	return ctx->stop != NULL && *ctx->stop;
}

enum deliver_outcome {
	DELIVER_DONE,	  /* every recipient has the message */
	DELIVER_DEFERRED, /* someone is still waiting */
	DELIVER_DEAD,	  /* moved to dead/ */
	DELIVER_ERROR,	  /* not tried: the message could not be read */
	DELIVER_STUCK,	  /* the spool cannot record an outcome: nothing
			     (more) was sent; the flusher must stop */
};

enum ms_status deliver_ctx_init(struct deliver_ctx *ctx,
    const struct ms_conf *conf, struct spool *spool, struct ms_err *err);
void deliver_ctx_free(struct deliver_ctx *ctx);

/* Adds the counters gathered so far to run/stats-RELAY and zeroes them
 * (once per pass: a file update per message would cost more than it
 * tells). */
void deliver_stats_flush(struct deliver_ctx *ctx);

/* Delivers m (claimed by the caller) and releases it. When deferred,
 * *next_try (may be NULL) gets the time it is due again. With
 * ctx->finish_later, a delivered message is only removed by the next
 * deliver_finish_pending() (or deliver_one). */
enum deliver_outcome
deliver_one(struct deliver_ctx *ctx, struct spool_msg *m, long long *next_try);

/* Removes the delivered message waiting for it, if any (spool_finish).
 * False when that fails: the flusher must stop (logged, LOG_CRIT). */
bool deliver_finish_pending(struct deliver_ctx *ctx);

#endif
