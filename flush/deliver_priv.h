/*
 * deliver_priv.h - what flush/deliver.c (one message's delivery: its
 *                  route's relays in order, the outcome) shares with
 *                  attempt.c (one attempt on one relay), recipients.c
 *                  (the message's recipients), holds.c (relay holds) and
 *                  notice.c (the dead-letter notice). Only these files
 *                  include it.
 */
#ifndef MS_DELIVER_PRIV_H
#define MS_DELIVER_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "deliver.h"

/* One delivery of a message: its open recipients and what the attempts
 * on the relays of its route left to record. */
struct attempt {
	struct relay_rcpt *rcpts;   /* the open recipients */
	struct rcpt_state **states; /* their entries in m->state */
	size_t n;
	const char *sender;
	const struct route_conf *route;
	const char *masq_domain; /* masquerade header From: */
	const char *masq_host;
	bool counted;		/* some failure counts as an attempt */
	long retry_hint;	/* seconds, from holds / throttling */
	const char *unrecorded; /* a recipient the state cannot hold: why */
	bool sent_since_save;	/* a recipient went out since the last save */
	bool stuck;		/* the spool cannot record an outcome */
};

/* Seconds a failed relay is skipped when it did not say how long. */
#define RELAY_COOL_DEFAULT 60

/* attempt.c */

/* Sends at's open recipients through relay r and records the outcomes
 * in at and m's state; holds r when it failed as a relay. */
void attempt_relay(struct deliver_ctx *ctx, struct spool_msg *m,
    struct relay *r, struct attempt *at, long long now);

/* Records the state (recipients sent so far included) and keeps room for
 * the next outcome. False when the spool cannot: the open recipients
 * are deferred and at->stuck is set; the caller sends nothing more. */
bool attempt_checkpoint(
    struct deliver_ctx *ctx, struct spool_msg *m, struct attempt *at);

/* holds.c */

/* Starts this worker's inotify watch on run/ (ctx->holdwatch; stays -1
 * without inotify or run/, and every check then reads the hold file).
 * Each worker makes its own: an inotify instance is not shared across
 * fork. */
void hold_watch_start(struct deliver_ctx *ctx);

/* Holds relay r for seconds, here and in run/hold-RELAY for every
 * flusher, with why as the reason; logs once, when the hold starts. */
void hold_relay(struct deliver_ctx *ctx, struct relay *r, const char *why,
    long seconds, long long now);

/* Is relay r usable now? If not, why (for the message's reason). */
bool hold_usable(struct deliver_ctx *ctx, struct relay *r, long long now,
    char *why, size_t whylen);

/* recipients.c */

/* Turns the envelope recipients into final addresses in m->state (new
 * ones pending; those already sent or dead keep their status); one the
 * spool file cannot justify is recorded dead. False when the state
 * cannot hold a recipient (err says why): the caller then sends nothing. */
bool rcpt_resolve(struct deliver_ctx *ctx, struct spool_msg *m, long long now,
    struct ms_err *err);

/* Is r still waiting (pending or deferred)? */
bool rcpt_open(const struct rcpt_state *r);

/* Fills at->rcpts and at->states with the recipients still open; returns
 * how many. One whose address fails addr_check() is marked dead. */
size_t
rcpt_collect_open(struct spool_msg *m, struct attempt *at, long long now);

/* Gives every open recipient status and why (for RCPT_DEAD, followed by
 * its last reply). */
void rcpt_mark_open(struct spool_msg *m, enum rcpt_status status,
    const char *why, long long now);

/* notice.c */

/* Queues a notice to dead_notify about m, just moved to dead/; nothing
 * when dead_notify is unset or m has the null sender. Failures are
 * logged. */
void notice_dead(struct deliver_ctx *ctx, const struct spool_msg *m);

#endif
