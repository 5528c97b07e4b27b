/*
 * attempt.c - one attempt of a message on one relay: the message source
 *             with the route's header edits, the rate bucket, the send,
 *             one log line per recipient, and the outcomes recorded in the
 *             message's state; and the checkpoint that writes that state
 *             before each transaction.
 *
 * API:    attempt_relay(), attempt_checkpoint() (deliver_priv.h).
 * Rules:  what a relay accepted is recorded (and synced) before the next
 *         transaction starts; a relay fault holds the relay (holds.c)
 *         and leaves the recipients open for the next relay.
 * Errors: none returned: outcomes go into struct attempt, spool failures
 *         set at->stuck.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "backoff.h"
#include "deliver_priv.h"
#include "escape.h"
#include "log.h"
#include "ratelimit.h"

#define NO_COUNT_RETRY 30 /* throttled: try again this soon */

/* The due time a flusher killed during the next transaction leaves:
 * as if that attempt had failed. */
static long long
prepare_due(
    const struct deliver_ctx *ctx, const struct spool_msg *m, long long now)
{
	return now +
	    backoff_delay(ctx->conf->retry_first, ctx->conf->retry_max,
		m->state.attempts + 1, (double)random() / RAND_MAX);
}

bool
attempt_checkpoint(
    struct deliver_ctx *ctx, struct spool_msg *m, struct attempt *at)
{
	struct ms_err err;
	long long now = (long long)time(NULL);

	if (spool_prepare(m, prepare_due(ctx, m, now), &err) == MS_OK) {
		at->sent_since_save = false;
		return true;
	}
	log_msg(LOG_CRIT,
	    "%s: the spool cannot record delivery outcomes, so nothing is "
	    "sent: %s",
	    m->id, err.msg);
	at->stuck = true;
	return false;
}

bool
deliver_prepare_ahead(struct deliver_ctx *ctx, struct spool_msg *m)
{
	struct ms_err err;

	if (m->had_state || m->area != AREA_QUEUE || m->prepared)
		return false;
	/* A failure is the checkpoint's to report (LOG_CRIT, stop) when
	 * the message's turn comes: it tries again then. */
	return spool_prepare(m, prepare_due(ctx, m, (long long)time(NULL)),
		   &err) == MS_OK;
}

static double
now_precise(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void
build_prepend(char *buf, size_t len, const struct relay_conf *rc,
    const struct route_conf *rt)
{
	const char *cs = rt->configuration_set != NULL ? rt->configuration_set
						       : rc->configuration_set;
	size_t n = 0;

	buf[0] = '\0';
	/* Over SMTP, SES takes its configuration set and tags from headers
	 * (and removes them); the API gets them as request fields. */
	if (rc->type != RELAY_SES || rc->transport != SES_SMTP)
		return;
	if (cs != NULL)
		n += (size_t)snprintf(
		    buf + n, len - n, "X-SES-CONFIGURATION-SET: %s\n", cs);
	if (rt->ntags > 0 && n < len) {
		n += (size_t)snprintf(buf + n, len - n, "X-SES-MESSAGE-TAGS: ");
		for (int i = 0; i < rt->ntags && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			    i ? ", " : "", rt->tags[i]);
		if (n < len)
			snprintf(buf + n, len - n, "\n");
	}
}

static void
log_attempt(const struct spool_msg *m, const struct relay_conf *rc,
    const struct relay_msg *rm, double delay, enum ms_status result,
    const char *reply)
{
	char to[1024], quoted[256], addr[MS_ESCAPE_SIZE(200)];
	size_t n = 0;
	const char *status = result == MS_OK ? "sent"
	    : result == MS_PERM		     ? "dead"
					     : "deferred";

	to[0] = '\0';
	for (size_t i = 0; i < rm->nrcpt && n + 8 < sizeof(to); i++)
		if (rm->rcpts[i].result == result &&
		    strcmp(rm->rcpts[i].reply, reply) == 0)
			n += (size_t)snprintf(to + n, sizeof(to) - n, "%s<%s>",
			    n ? "," : "",
			    ms_escape(addr, sizeof(addr), rm->rcpts[i].addr,
				strlen(rm->rcpts[i].addr)));
	ms_quote(quoted, sizeof(quoted), reply, strlen(reply));
	log_msg(result == MS_OK ? LOG_INFO : LOG_WARNING,
	    "%s: to=%s, relay=%s, delay=%.1f, attempt=%d, status=%s%s%s (%s)",
	    m->id, to, rm->peer[0] != '\0' ? rm->peer : rc->name, delay,
	    m->state.attempts + 1, status, rm->remote_id[0] ? ", id=" : "",
	    rm->remote_id, quoted);
}

/* Logs one line per distinct (result, reply) among the recipients. */
static void
log_results(const struct spool_msg *m, const struct relay_conf *rc,
    const struct relay_msg *rm, double delay)
{
	for (size_t i = 0; i < rm->nrcpt; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = rm->rcpts[j].result == rm->rcpts[i].result &&
			    strcmp(rm->rcpts[j].reply, rm->rcpts[i].reply) == 0;
		if (!seen)
			log_attempt(m, rc, rm, delay, rm->rcpts[i].result,
			    rm->rcpts[i].reply);
	}
}

static enum ms_status
open_source(struct spool_msg *m, struct msg_source *src,
    const struct relay_conf *rc, const struct attempt *at, struct ms_err *err)
{
	char prepend[1024], from[1100];
	struct header_edit edit = {
		.prepend = prepend,
		.masq_domain = at->masq_domain,
		.masq_host = at->masq_host,
	};

	build_prepend(prepend, sizeof(prepend), rc, at->route);
	/* The message's own SES control headers: the route's configuration
	 * set and tags replace them (exactly one of each leaves), and unless
	 * the route keeps users' headers every X-SES-* header goes: a local
	 * user must not pick the configuration set or a sending-authorization
	 * identity (X-SES-SOURCE-ARN...). A maildir stores what was sent. */
	if (rc->type != RELAY_MAILDIR) {
		if (!at->route->keep_ses_headers)
			edit.drop_ses |= MSGSRC_DROP_SES_ALL;
		if (rc->type == RELAY_SES &&
		    (at->route->configuration_set != NULL ||
			rc->configuration_set != NULL))
			edit.drop_ses |= MSGSRC_DROP_SES_CONFSET;
		if (rc->type == RELAY_SES && at->route->ntags > 0)
			edit.drop_ses |= MSGSRC_DROP_SES_TAGS;
	}
	if (at->route->rewrite_from && at->route->rewrite_sender != NULL) {
		snprintf(from, sizeof(from), "<%s>", at->route->rewrite_sender);
		edit.from = from;
		edit.keep_reply_to = true;
	}
	/* Maildir and SQS carry the message as stored (LF): an SQS hand-off
	 * lands in another spool, which converts when it delivers. */
	return msg_source_open(src, m->fd, m->image, m->body_offset,
	    m->file_size, &edit,
	    rc->type != RELAY_MAILDIR && rc->type != RELAY_SQS, err);
}

/* Writes each recipient's outcome into the state and the relay's
 * counters; a deferral counts as an attempt unless the relay said it was
 * not the message's fault (throttling). */
static void
record_results(struct deliver_ctx *ctx, const struct relay_conf *rc,
    struct attempt *at, const struct relay_msg *rm, long long now)
{
	struct relay_counts *c = &ctx->counts[rc - ctx->conf->relays];

	for (size_t i = 0; i < at->n; i++) {
		const struct relay_rcpt *rr = &at->rcpts[i];
		enum rcpt_status s = rr->result == MS_OK ? RCPT_SENT
		    : rr->result == MS_PERM		 ? RCPT_DEAD
							 : RCPT_DEFERRED;

		/* By index, never by a lookup that could fail: an outcome
		 * that is not recorded would be sent again. */
		state_update(at->states[i], s, rc->name, rr->reply, now);
		if (s == RCPT_SENT) {
			c->sent++;
			at->sent_since_save = true;
		} else if (s == RCPT_DEAD) {
			c->dead++;
		} else {
			c->deferred++;
		}
		if (s == RCPT_DEFERRED && !rm->no_count)
			at->counted = true;
	}
}

struct committed_arg {
	struct deliver_ctx *ctx;
	struct spool_msg *m;
	struct attempt *at;
	const struct relay_conf *rc;
};

/* One transaction of several is over: those who accepted it are written
 * down (and synced) before the next one starts. */
static enum ms_status
on_committed(
    void *arg, const struct relay_rcpt *rcpts, size_t n, struct ms_err *err)
{
	struct committed_arg *ca = arg;
	long long now = (long long)time(NULL);
	bool any = false;

	/* rcpts is a slice of at->rcpts (relay_committed()); the states
	 * are found by the same index, never by a lookup that could fail. */
	size_t first = (size_t)(rcpts - ca->at->rcpts);

	for (size_t i = 0; i < n && first + i < ca->at->n; i++)
		if (rcpts[i].result == MS_OK) {
			state_update(ca->at->states[first + i], RCPT_SENT,
			    ca->rc->name, rcpts[i].reply, now);
			any = true;
		}
	if (any && !attempt_checkpoint(ca->ctx, ca->m, ca->at))
		return ms_err_set(
		    err, MS_TEMP, "the spool cannot record outcomes");
	if (deliver_stopping(ca->ctx))
		return ms_err_set(err, MS_TEMP, "the flusher is stopping");
	return MS_OK;
}

void
attempt_relay(struct deliver_ctx *ctx, struct spool_msg *m, struct relay *r,
    struct attempt *at, long long now)
{
	const struct relay_conf *rc = r->conf;
	struct msg_source src;
	struct relay_msg rm = {
		.qid = m->id,
		.sender = at->sender,
		.rcpts = at->rcpts,
		.nrcpt = at->n,
		.src = &src,
		.tags = (const char *const *)at->route->tags,
		.config_set = at->route->configuration_set != NULL
		    ? at->route->configuration_set
		    : rc->configuration_set,
		.route = at->route->name,
		.arrival = m->env.arrival,
		.attempts = m->state.attempts,
		.user = m->env.user,
		.opts = (const char *const *)m->env.opts,
		.nopt = m->env.nopt,
	};
	struct ms_err err;
	struct committed_arg ca = { ctx, m, at, rc };

	rm.committed = on_committed;
	rm.committed_arg = &ca;
	rm.idle = ctx->idle;
	rm.idle_arg = ctx->idle_arg;
	/* The message delivered last is removed at this one's first wait
	 * for a reply (rm.idle) when that is the transport's first wait; a
	 * relay that is paced may wait for its bucket before it. Otherwise
	 * it is removed now, before this one is sent. */
	if ((!r->ops->idles_first || r->ops->paces_itself || rc->rate != 0) &&
	    !deliver_finish_pending(ctx)) {
		at->stuck = true;
		return;
	}
	if (open_source(m, &src, rc, at, &err) != MS_OK) {
		for (size_t i = 0; i < at->n; i++) {
			at->rcpts[i].result = MS_TEMP;
			ms_copy(at->rcpts[i].reply, RELAY_REPLY_MAX, err.msg);
		}
		at->counted = true;
		return;
	}
	/* The rate bucket is charged per recipient before sending, unless
	 * the transport does it itself (SES: per transaction of at most 50
	 * recipients, slowed on throttling replies): not twice. */
	if (!r->ops->paces_itself && rc->rate != 0 &&
	    ratelimit_acquire(ctx->spool->runfd, rc->name,
		rc->rate > 0 ? rc->rate : 1.0, (unsigned)at->n, &err) != MS_OK)
		log_msg(
		    LOG_WARNING, "relay %s: rate limit: %s", rc->name, err.msg);
	if (deliver_stopping(ctx)) { /* stopped while waiting for the bucket */
		msg_source_close(&src);
		for (size_t i = 0; i < at->n; i++) {
			at->rcpts[i].result = MS_TEMP;
			ms_copy(at->rcpts[i].reply, RELAY_REPLY_MAX,
			    RELAY_REPLY_STOPPING);
		}
		at->retry_hint = NO_COUNT_RETRY;
		return;
	}
	relay_send(r, &rm, &err);
	msg_source_close(&src);
	if (rm.abandoned) { /* the spool failed meanwhile: nothing went out */
		at->stuck = true;
		return;
	}
	log_results(m, rc, &rm, now_precise() - (double)m->env.arrival);
	record_results(ctx, rc, at, &rm, now);
	if (rm.no_count) {
		if (!r->ops->paces_itself)
			ratelimit_slow(ctx->spool->runfd, rc->name,
			    rc->rate > 0 ? rc->rate : 1.0, &err);
		if (at->retry_hint < NO_COUNT_RETRY)
			at->retry_hint = NO_COUNT_RETRY;
	}
	if (rm.health != RELAY_FINE) {
		long secs =
		    rm.hold_seconds > 0 ? rm.hold_seconds : RELAY_COOL_DEFAULT;

		relay_close(r);
		hold_relay(ctx, r, at->rcpts[0].reply, secs, now);
	}
}
