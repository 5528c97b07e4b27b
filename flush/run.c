/*
 * run.c - the flusher's loop: pick up new mail, list the queue, deliver
 *         what is due (the loop over the listing: pass.c); in parallel
 *         workers when configured; once, or forever with --watch (its
 *         waits: watch.c).
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
#include "pass.h"
#include "ratelimit.h"
#include "run.h"
#include "schedule.h"
#include "spool.h"
#include "watch.h"

#define WORKER_POLL_US 5000 /* how often a pass looks for its workers' end */

static volatile sig_atomic_t stop_requested;

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
			child.stop = &stop_requested;
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
	/* SIGTERM/SIGINT only set stop_requested (SA_RESTART: reads and
	 * writes go on; libcurl's poll retries): the SMTP or API transaction
	 * in progress is finished, never cut short (the server may already
	 * have the message), and recorded; no other transaction starts, and
	 * a wait for a rate-limit bucket ends at once. So a stop takes at
	 * most one transaction: the units' TimeoutStopSec is above the
	 * longest one. */
	ctx.stop = &stop_requested;
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
