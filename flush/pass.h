/*
 * pass.h - one pass's delivery loop: the entries of a listing of queue/,
 *          handed out by a cursor the pass's workers share, each
 *          claimed, delivered and recorded in turn, the file work of
 *          the next overlapping the relay's waits for the current one.
 *
 * API:    deliver_entries(), note_due().
 * Stops:  at ctx->stop (SIGTERM: the transaction in progress ends, no
 *         other starts) and when the spool cannot record an outcome
 *         (r->stuck: nothing more is sent).
 */
#ifndef MS_PASS_H
#define MS_PASS_H

#include <stdatomic.h>
#include <stddef.h>

#include "deliver.h"
#include "spool.h"

struct pass_result {
	unsigned delivered, deferred, dead, errors, stuck;
	long long next_due; /* earliest next_try seen, 0 = none */
};

/* Notes t (a next attempt) as the pass's earliest when it is. */
void note_due(struct pass_result *r, long long t);

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

/* Delivers every due message it can claim among the n entries of v the
 * cursor hands it, files those not due into their buckets, and counts
 * the outcomes into r; then syncs the pass's removals
 * (spool_pass_end). */
void deliver_entries(struct deliver_ctx *ctx, struct spool_entry *v, size_t n,
    struct entry_cursor *cur, struct pass_result *r);

#endif
