/*
 * pass.c - one pass's delivery loop over a listing of queue/ (pass.h):
 *          claim, deliver, record, and the lookahead that does the next
 *          message's file work while a relay waits for a reply.
 *
 * API:    deliver_entries(), note_due() (pass.h).
 * Stops:  at ctx->stop, and as soon as the spool cannot record an
 *         outcome (r->stuck): a claim taken ahead is given back as it
 *         was found.
 */
#include "config.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "deliver.h"
#include "log.h"
#include "pass.h"
#include "schedule.h"
#include "spool.h"

void
note_due(struct pass_result *r, long long t)
{
	if (t > 0 && (r->next_due == 0 || t < r->next_due))
		r->next_due = t;
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
	struct pass_result *r;
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
	if (deliver_stopping(la->ctx) || la->r->stuck > 0)
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
void
deliver_entries(struct deliver_ctx *ctx, struct spool_entry *v, size_t n,
    struct entry_cursor *cur, struct pass_result *r)
{
	struct lookahead la = {
		.v = v, .n = n, .cur = cur, .ctx = ctx, .r = r
	};
	long long now = (long long)time(NULL);
	struct ms_err err;

	ctx->idle = work_ahead;
	ctx->idle_arg = &la;
	ctx->finish_later = true;
	while (!deliver_stopping(ctx) && r->stuck == 0) {
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
		switch (deliver_one(ctx, &m, &next)) {
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
			break;
		}
		/* The one delivered before m waited for a relay wait of m's;
		 * there was none (no relay reached, no reply awaited): now. */
		if (la.finish_failed ||
		    (ctx->finish_pending &&
			strcmp(ctx->finishing.id, m.id) != 0 &&
			!deliver_finish_pending(ctx))) {
			r->stuck++;
		}
		now = (long long)time(NULL);
	}
	/* The last one delivered is removed before anything else. */
	if (!deliver_finish_pending(ctx)) {
		r->stuck++;
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
	}
}
