/*
 * run.c - the flusher's loop: pick up new mail, list the queue, claim
 *         what is due, deliver it; in parallel workers when configured;
 *         once, or forever with --watch (its waits: watch.c).
 *
 * API:    run_flush().
 * Signals: SIGTERM/SIGINT only set a flag; the transaction in flight is
 *         finished and recorded, no other starts (nor a rate-limit wait
 *         goes on), workers are told, then the process exits.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "ratelimit.h"
#include "run.h"
#include "schedule.h"
#include "spool.h"
#include "watch.h"

#define WORKER_POLL_US 5000 /* how often a pass looks for its workers' end */

static volatile sig_atomic_t stop_requested;
static bool spool_stuck; /* an outcome could not be recorded: stop */

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ratelimit_stop_flag(&stop_requested);
}

struct pass_result {
	unsigned delivered, deferred, dead, errors, stuck;
	long long next_due; /* earliest next_try seen, 0 = none */
};

static void
note_due(struct pass_result *r, long long t)
{
	if (t > 0 && (r->next_due == 0 || t < r->next_due))
		r->next_due = t;
}

/* SIGTERM/SIGINT only set stop_requested (SA_RESTART: reads and writes
 * go on; libcurl's poll retries): the SMTP or API transaction in
 * progress is finished, never cut short (the server may already have the
 * message), and recorded; no other transaction starts, and a wait for a
 * rate-limit bucket ends at once. So a stop takes at most one
 * transaction: the units' TimeoutStopSec is above the longest one. */
static enum deliver_outcome
deliver_guarded(struct deliver_ctx *ctx, struct spool_msg *m, long long *next)
{
	ctx->stop = &stop_requested;
	return deliver_one(ctx, m, next);
}

/* A message in queue/ that is not due (an old spool, or a flusher killed
 * between its state and the move): filed into its bucket under its
 * claim, so that later passes do not list it. Held by another flusher
 * (delivering it right now): left alone. */
static void
file_claimed(struct spool_msg *m, struct pass_result *r)
{
	struct ms_err err;
	bool filed;

	note_due(r, m->state.next_try);
	if (spool_schedule(m, &filed, &err) != MS_OK)
		log_msg(LOG_ERR, "%s: %s", m->id, err.msg);
	spool_release(m);
}

static void
file_entry(
    struct deliver_ctx *ctx, const struct spool_entry *e, struct pass_result *r)
{
	struct spool_msg m;
	struct ms_err err;
	bool busy;

	if (spool_claim(ctx->spool, AREA_QUEUE, e->id, &m, &busy, &err) ==
		MS_OK &&
	    !busy)
		file_claimed(&m, r); /* notes its current due time */
	else
		note_due(r, e->next_try);
}

/* Hands out a pass's listing one entry at a time. The workers of a
 * parallel pass share one (MAP_SHARED memory made before fork), so each
 * entry goes to exactly one of them, in listing order: no worker opens a
 * message another has delivered, or waits on one another holds, and one
 * held up by a slow relay leaves the rest to the others. The flock claim
 * still decides between separate flusher processes. */
#if ATOMIC_LONG_LOCK_FREE != 2
#error "the workers' cursor needs lock-free (address-free) atomic longs"
#endif
struct entry_cursor {
	atomic_ulong next;
};

/* Due, unless its time is still ahead and no further than retry_max: we
 * never store a later one, so a later one means the clock went back, and
 * the message is due now. */
static bool
entry_due(
    const struct deliver_ctx *ctx, const struct spool_entry *e, long long now)
{
	return !e->has_state || e->next_try <= now ||
	    e->next_try > now + ctx->conf->retry_max;
}

/* What the loop does while a relay waits for its peer's reply
 * (relay_msg.idle), so that its file work overlaps that round trip
 * instead of following it: at the first wait, the removal of the message
 * delivered last (deliver_finish_pending) and the claim of the next
 * entry; at the next, that message's first state (a fresh one's, from
 * the pre-state slot the message on the wire does not hold). At most one
 * message is held ahead; a stop or a stuck spool gives it back as it was
 * found. */
struct lookahead {
	struct spool_entry *v;
	size_t n;
	struct entry_cursor *cur;
	struct deliver_ctx *ctx;
	bool taken;	    /* k is the next entry to handle */
	bool claimed;	    /* and st, busy, err, m are its claim */
	bool finish_failed; /* a removal failed: stop */
	unsigned long k;
	enum ms_status st;
	bool busy;
	struct spool_msg m;
	struct ms_err err;
};

static void
claim_next(struct lookahead *la)
{
	const struct spool_entry *e;

	la->k =
	    atomic_fetch_add_explicit(&la->cur->next, 1, memory_order_relaxed);
	la->taken = true;
	if (la->k >= la->n)
		return;
	e = &la->v[la->k];
	if (!entry_due(la->ctx, e, (long long)time(NULL)))
		return; /* filed by the loop, not claimed here */
	la->st = spool_claim(
	    la->ctx->spool, AREA_QUEUE, e->id, &la->m, &la->busy, &la->err);
	la->claimed = true;
}

/* False when the removal failed: the transaction in progress is then
 * abandoned before its body (nothing more is sent once the spool cannot
 * record outcomes) and the flusher stops. */
static bool
work_ahead(void *arg)
{
	struct lookahead *la = arg;

	if (la->ctx->finish_pending && !deliver_finish_pending(la->ctx))
		la->finish_failed = true;
	if (la->finish_failed)
		return false;
	if (stop_requested || spool_stuck)
		return true;
	if (!la->taken)
		claim_next(la);
	else if (la->claimed && la->st == MS_OK && !la->busy)
		deliver_prepare_ahead(la->ctx, &la->m); /* once: m.prepared */
	return true;
}

/* A claim taken ahead and not used: given back as it was found. */
static void
lookahead_drop(struct lookahead *la)
{
	if (la->claimed && la->st == MS_OK && !la->busy) {
		spool_unprepare(&la->m);
		spool_release(&la->m);
	}
	la->taken = la->claimed = false;
}

/* Delivers every due message it can claim among the entries the cursor
 * hands it. */
static void
deliver_entries(struct deliver_ctx *ctx, struct spool_entry *v, size_t n,
    struct entry_cursor *cur, struct pass_result *r)
{
	struct lookahead la = { .v = v, .n = n, .cur = cur, .ctx = ctx };
	long long now = (long long)time(NULL);
	struct ms_err err;

	ctx->idle = work_ahead;
	ctx->idle_arg = &la;
	ctx->finish_later = true;
	while (!stop_requested && !spool_stuck) {
		struct spool_entry *e;
		struct spool_msg m;
		long long next = 0;
		enum ms_status st;

		/* Taken (and claimed, when due) by a relay's wait, or now. */
		if (!la.taken)
			claim_next(&la);
		la.taken = false;
		if (la.k >= n)
			break;
		e = &v[la.k];
		if (!la.claimed) { /* not due */
			file_entry(ctx, e, r);
			continue;
		}
		la.claimed = false;
		st = la.st;
		m = la.m;
		err = la.err;
		/* Delivered (and removed) by another worker since the
		 * listing: nothing to do, and nothing wrong. */
		if (st == MS_USAGE)
			continue;
		if (st == MS_DATA) /* set aside (dead/ID.bad) by the claim */
			continue;
		if (st != MS_OK) {
			log_msg(LOG_ERR, "%s: %s", e->id, err.msg);
			r->errors++;
			continue;
		}
		if (la.busy)
			continue;
		if (m.state.next_try > now && /* changed since listed */
		    m.state.next_try <= now + ctx->conf->retry_max) {
			file_claimed(&m, r);
			continue;
		}
		switch (deliver_guarded(ctx, &m, &next)) {
		case DELIVER_DONE: r->delivered++; break;
		case DELIVER_DEFERRED:
			r->deferred++;
			note_due(r, next);
			break;
		case DELIVER_DEAD: r->dead++; break;
		case DELIVER_ERROR: r->errors++; break;
		case DELIVER_STUCK:
			/* The same failure would meet every other message:
			 * stop, loudly, rather than send what we cannot
			 * record. */
			r->stuck++;
			spool_stuck = true;
			break;
		}
		/* The one delivered before m waited for a relay wait of m's;
		 * there was none (no relay reached, no reply awaited): now. */
		if (la.finish_failed ||
		    (ctx->finish_pending &&
			strcmp(ctx->finishing.id, m.id) != 0 &&
			!deliver_finish_pending(ctx))) {
			r->stuck++;
			spool_stuck = true;
		}
		now = (long long)time(NULL);
	}
	/* The last one delivered is removed before anything else. */
	if (!deliver_finish_pending(ctx)) {
		r->stuck++;
		spool_stuck = true;
	}
	ctx->finish_later = false;
	lookahead_drop(&la);
	ctx->idle = NULL;
	/* The removals of delivered messages synced, the reserved room
	 * given back (spool/README); a spool that cannot sync them cannot
	 * record outcomes. */
	if (spool_pass_end(ctx->spool, &err) != MS_OK) {
		log_msg(LOG_CRIT, "%s; the flusher stops", err.msg);
		r->stuck++;
		spool_stuck = true;
	}
}

/* Pickup, sweep, the due buckets back into queue/, then queue/ listed:
 * what a pass delivers. Deferred messages not yet due are never listed
 * (deferred/ holds them), so the listing stays small. */
static enum ms_status
list_queue(struct deliver_ctx *ctx, struct spool_entry **v, size_t *n,
    struct pass_result *r, struct ms_err *err)
{
	static time_t swept;
	struct spool *s = ctx->spool;
	time_t now = time(NULL);

	spool_pickup(s);
	/* Orphans of killed flushers: once a run, hourly with --watch. */
	if (swept == 0 || now - swept >= 3600 || now < swept) {
		spool_sweep(s);
		swept = now;
	}
	spool_return_due(
	    s, (long long)time(NULL), ctx->conf->retry_max, &r->next_due);
	return spool_list(s, AREA_QUEUE, v, n, err);
}

/* Runs workers-1 children and the parent itself over the same list,
 * handed out by one shared cursor. */
static void
parallel_pass(struct deliver_ctx *ctx, struct spool_entry *v, size_t n,
    int workers, struct pass_result *r)
{
	pid_t *kids = calloc((size_t)workers, sizeof(pid_t));
	struct entry_cursor *cur = mmap(NULL, sizeof(*cur),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int started = 0;

	if (cur == MAP_FAILED) {
		static struct entry_cursor alone;

		log_msg(LOG_WARNING, "cannot share the work (%s): one worker",
		    strerror(errno));
		cur = &alone;
		workers = 1;
	}
	atomic_init(&cur->next, 0);
	spool_closer_drain(); /* a child inherits no descriptor to close */
	for (int w = 1; kids != NULL && w < workers; w++) {
		pid_t pid = fork();

		if (pid == 0) {
			struct pass_result mine = { 0 };

			/* A fresh context: connections are not shared. */
			struct deliver_ctx child;
			struct ms_err err;

			if (deliver_ctx_init(
				&child, ctx->conf, ctx->spool, &err) != MS_OK)
				_exit(1);
			deliver_entries(&child, v, n, cur, &mine);
			deliver_ctx_free(&child);
			_exit(mine.stuck	? 74
				: mine.errors	? 1
				: mine.deferred ? 75
						: 0);
		}
		if (pid > 0)
			kids[started++] = pid;
		else
			log_msg(LOG_WARNING, "cannot start worker: %s",
			    strerror(errno));
	}
	deliver_entries(ctx, v, n, cur, r);
	for (int i = 0; i < started; i++) {
		int status = 0;
		bool told = false;
		pid_t got;

		/* Polled: with SA_RESTART a blocking waitpid never returns
		 * for our SIGTERM, which the workers must hear too (a sleep
		 * is cut short by it). Every few milliseconds: the pass ends
		 * when its last worker does, and a drain paced to the second
		 * waited up to 100 ms here for nothing. */
		while ((got = waitpid(kids[i], &status, WNOHANG)) == 0 ||
		    (got < 0 && errno == EINTR)) {
			if (stop_requested && !told) {
				for (int k = i; k < started; k++)
					kill(kids[k], SIGTERM);
				told = true;
			}
			usleep(WORKER_POLL_US);
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 75)
			r->deferred++;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 74)
			r->stuck++;
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			r->errors++;
	}
	free(kids);
	if (workers > 1)
		munmap(cur, sizeof(*cur));
}

static enum ms_status
one_pass(struct deliver_ctx *ctx, int workers, struct pass_result *r,
    struct ms_err *err)
{
	struct spool_entry *v = NULL;
	size_t n = 0;
	enum ms_status st;

	memset(r, 0, sizeof(*r));
	if ((st = list_queue(ctx, &v, &n, r, err)) != MS_OK)
		return st;
	if (workers > 1 && n > 1)
		parallel_pass(ctx, v, n, workers, r);
	else {
		struct entry_cursor cur;

		atomic_init(&cur.next, 0);
		deliver_entries(ctx, v, n, &cur, r);
	}
	deliver_stats_flush(ctx);
	free(v);
	if (r->delivered + r->deferred + r->dead + r->errors + r->stuck > 0)
		log_msg(LOG_INFO,
		    "flush: %u delivered, %u deferred, %u dead, "
		    "%u errors%s",
		    r->delivered, r->deferred, r->dead, r->errors,
		    r->stuck ? ", stopped: the spool cannot record outcomes"
			     : "");
	return MS_OK;
}

static int
workers_for(const struct ms_conf *conf, const struct run_opts *opts)
{
	long w = opts->workers > 0 ? opts->workers : conf->workers;

	/* A relay given N connections needs N workers to use them. */
	for (int i = 0; opts->workers <= 0 && i < conf->nrelays; i++)
		if (conf->relays[i].connections > w)
			w = conf->relays[i].connections;
	return w > 64 ? 64 : (int)w;
}

enum ms_status
run_flush(
    const struct ms_conf *conf, const struct run_opts *opts, struct ms_err *err)
{
	struct spool spool;
	struct deliver_ctx ctx;
	struct pass_result r = { 0 };
	unsigned deferred = 0, errors = 0, stuck = 0;
	int workers = workers_for(conf, opts), ifd = -1;
	enum ms_status st;

	install_signals();
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if ((st = spool_open(&spool, conf->spool, err)) != MS_OK)
		return st;
	if ((st = deliver_ctx_init(&ctx, conf, &spool, err)) != MS_OK) {
		spool_close(&spool);
		return st;
	}
	if (opts->watch)
		ifd = watch_open(&spool);
	do {
		if ((st = one_pass(&ctx, workers, &r, err)) != MS_OK)
			break;
		deferred += r.deferred;
		errors += r.errors;
		stuck += r.stuck;
		if (!opts->watch || stop_requested || stuck > 0)
			break;
		/* Idle connections are closed by servers anyway (SES after
		 * ~10 s): drop ours rather than find them dead later. */
		for (int i = 0; i < conf->nrelays; i++)
			relay_close(ctx.relays[i]);
		watch_wait(ifd, r.next_due,
		    opts->watch_rescan > 0 ? opts->watch_rescan : 60,
		    &stop_requested);
	} while (!stop_requested);
	if (ifd >= 0)
		close(ifd);
	deliver_ctx_free(&ctx);
	spool_close(&spool);
	if (st != MS_OK)
		return st;
	if (stuck > 0)
		return ms_err_set(err, MS_IOERR,
		    "stopped: the spool %s cannot record delivery outcomes "
		    "(full, read-only or failing: see the log); nothing is "
		    "sent until it can",
		    conf->spool);
	if (errors > 0)
		return ms_err_set(err, MS_TEMP,
		    "%u messages could not be "
		    "handled (see the log)",
		    errors);
	if (deferred > 0)
		return ms_err_set(
		    err, MS_TEMP, "%u messages deferred", deferred);
	return MS_OK;
}
