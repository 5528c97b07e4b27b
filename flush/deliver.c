/*
 * deliver.c - delivers one claimed message: route by sender, relays in
 *             order with failover, one log line per attempt, then
 *             finish / defer with backoff / bury.  Its recipients
 *             (aliases, per-recipient state) are in recipients.c, relay
 *             holds in holds.c, the dead-letter notice in notice.c.
 *
 * API:    deliver_ctx_init(), deliver_ctx_free(), deliver_stats_flush(),
 *         deliver_one().  Documented in deliver.h.
 * Rules:  a recipient marked sent is never sent again; a relay fault
 *         (connect, TLS, auth, quota) never dead-letters mail, it moves
 *         the mail to the next relay and holds the faulty one for a
 *         while (one log line when the hold starts); only a permanent
 *         answer about the message, or the give-up age, makes it dead.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "backoff.h"
#include "deliver.h"
#include "deliver_priv.h"
#include "escape.h"
#include "log.h"
#include "masq.h"
#include "ratelimit.h"
#include "route.h"
#include "schedule.h"

#define RELAY_COOL_DEFAULT 60 /* seconds a failed relay is skipped */
#define NO_COUNT_RETRY	   30 /* throttled: try again this soon */

enum ms_status
deliver_ctx_init(struct deliver_ctx *ctx, const struct ms_conf *conf,
    struct spool *spool, struct ms_err *err)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->conf = conf;
	ctx->spool = spool;
	ratelimit_pacer(&ctx->pacer, &spool->runfd);
	ctx->relays = calloc((size_t)conf->nrelays + 1, sizeof(*ctx->relays));
	ctx->counts = calloc((size_t)conf->nrelays + 1, sizeof(*ctx->counts));
	ctx->no_hold = calloc((size_t)conf->nrelays + 1, sizeof(*ctx->no_hold));
	ctx->holdwatch = -1;
	if (ctx->relays == NULL || ctx->counts == NULL || ctx->no_hold == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	hold_watch_start(ctx);
	if (conf->aliases != NULL &&
	    aliases_load(&ctx->aliases, conf->aliases, err) != MS_OK) {
		log_msg(
		    LOG_ERR, "%s; mail to local names stays queued", err->msg);
		ctx->aliases_broken = true;
	}
	return MS_OK;
}

void
deliver_ctx_free(struct deliver_ctx *ctx)
{
	for (int i = 0; ctx->relays != NULL && i < ctx->conf->nrelays; i++)
		relay_free(ctx->relays[i]);
	deliver_stats_flush(ctx);
	free(ctx->relays);
	free(ctx->counts);
	free(ctx->no_hold);
	if (ctx->holdwatch >= 0)
		close(ctx->holdwatch);
	aliases_free(ctx->aliases);
	memset(ctx, 0, sizeof(*ctx));
}

void
deliver_stats_flush(struct deliver_ctx *ctx)
{
	struct ms_err err;

	for (int i = 0; ctx->counts != NULL && i < ctx->conf->nrelays; i++) {
		struct relay_counts *c = &ctx->counts[i];

		if (c->sent + c->deferred + c->dead == 0)
			continue;
		if (stats_add(ctx->spool->runfd, ctx->conf->relays[i].name, c,
			&err) != MS_OK)
			log_msg(LOG_WARNING, "%s", err.msg);
		memset(c, 0, sizeof(*c));
	}
}

static struct relay *
relay_get(
    struct deliver_ctx *ctx, const struct relay_conf *rc, struct ms_err *err)
{
	int i = (int)(rc - ctx->conf->relays);

	if (ctx->relays[i] == NULL) {
		if (relay_new(&ctx->relays[i], rc, ctx->conf, err) != MS_OK)
			return NULL;
		ctx->relays[i]->pacer = &ctx->pacer;
		ctx->relays[i]->runfd = ctx->spool->runfd; /* OAuth2 token */
	}
	return ctx->relays[i];
}

static double
now_precise(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* ---- one attempt on one relay ---- */

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
	return msg_source_open(src, m->fd, m->body_offset, m->file_size, &edit,
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

static bool
checkpoint(struct deliver_ctx *ctx, struct spool_msg *m, struct attempt *at);

static bool
stopping(const struct deliver_ctx *ctx)
{
	return ctx->stop != NULL && *ctx->stop;
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
	if (any && !checkpoint(ca->ctx, ca->m, ca->at))
		return ms_err_set(
		    err, MS_TEMP, "the spool cannot record outcomes");
	if (stopping(ca->ctx))
		return ms_err_set(err, MS_TEMP, "the flusher is stopping");
	return MS_OK;
}

/* Sends the open recipients through relay r; records outcomes. */
static void
try_relay(struct deliver_ctx *ctx, struct spool_msg *m, struct relay *r,
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
	if (open_source(m, &src, rc, at, &err) != MS_OK) {
		for (size_t i = 0; i < at->n; i++) {
			at->rcpts[i].result = MS_TEMP;
			ms_copy(at->rcpts[i].reply, RELAY_REPLY_MAX, err.msg);
		}
		at->counted = true;
		return;
	}
	/* The rate bucket is charged per recipient before sending. SES
	 * relays charge it themselves, per transaction of at most 50
	 * recipients, and slow it on throttling replies: not twice. */
	if (rc->type != RELAY_SES && rc->rate != 0 &&
	    ratelimit_acquire(ctx->spool->runfd, rc->name,
		rc->rate > 0 ? rc->rate : 1.0, (unsigned)at->n, &err) != MS_OK)
		log_msg(
		    LOG_WARNING, "relay %s: rate limit: %s", rc->name, err.msg);
	if (stopping(ctx)) { /* stopped while waiting for the bucket */
		msg_source_close(&src);
		for (size_t i = 0; i < at->n; i++) {
			at->rcpts[i].result = MS_TEMP;
			ms_copy(at->rcpts[i].reply, RELAY_REPLY_MAX,
			    "not attempted: the flusher is stopping");
		}
		at->retry_hint = NO_COUNT_RETRY;
		return;
	}
	relay_send(r, &rm, &err);
	msg_source_close(&src);
	log_results(m, rc, &rm, now_precise() - (double)m->env.arrival);
	record_results(ctx, rc, at, &rm, now);
	if (rm.no_count) {
		if (rc->type != RELAY_SES)
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

/* ---- the whole message ---- */

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

/* Records the state (recipients sent so far included) and keeps room for
 * the next outcome. False when the spool cannot: the open recipients
 * are deferred and at->stuck is set; the caller sends nothing more. */
static bool
checkpoint(struct deliver_ctx *ctx, struct spool_msg *m, struct attempt *at)
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

static void
route_recipients(struct deliver_ctx *ctx, struct spool_msg *m,
    const struct route_conf *rt, const char *sender, long long now,
    struct attempt *at)
{
	char why[RELAY_REPLY_MAX] = "";
	struct ms_err err;

	at->sender = sender;
	at->route = rt;
	for (int i = 0; i < rt->nrelays; i++) {
		struct relay *r = relay_get(ctx, rt->relays[i], &err);

		if (rcpt_collect_open(m, at, now) == 0)
			break;
		if (r == NULL) {
			snprintf(why, sizeof(why), "relay %s: %.400s",
			    rt->relays[i]->name, err.msg);
			continue;
		}
		if (!hold_usable(ctx, r, now, why, sizeof(why)))
			continue;
		if (stopping(ctx)) {
			snprintf(why, sizeof(why),
			    "not attempted: the flusher is stopping");
			break;
		}
		/* Who the previous relay took is on disk before the next
		 * transaction starts; if it cannot be, nobody else is tried. */
		if (at->sent_since_save && !checkpoint(ctx, m, at))
			return;
		try_relay(ctx, m, r, at, now);
		why[0] = '\0';
	}
	if (why[0] != '\0' && rcpt_collect_open(m, at, now) > 0) {
		/* No relay of the route could even be tried. */
		rcpt_mark_open(m, RCPT_DEFERRED, why, now);
		at->counted = false;
		if (at->retry_hint < RELAY_COOL_DEFAULT)
			at->retry_hint = RELAY_COOL_DEFAULT;
	}
}

static const char *
last_reason(const struct msg_state *st)
{
	const char *why = NULL;
	long long when = -1;

	for (size_t i = 0; i < st->nrcpt; i++)
		if (st->rcpts[i].status != RCPT_SENT &&
		    st->rcpts[i].reply != NULL && st->rcpts[i].when >= when) {
			why = st->rcpts[i].reply;
			when = st->rcpts[i].when;
		}
	return why;
}

static enum deliver_outcome
finish_message(struct deliver_ctx *ctx, struct spool_msg *m,
    const struct attempt *at, long long now, long long *next_try)
{
	bool open = false, dead = false;
	struct ms_err err;
	const char *why;
	long long born;
	int tries;

	for (size_t i = 0; i < m->state.nrcpt; i++) {
		open |= rcpt_open(&m->state.rcpts[i]);
		dead |= m->state.rcpts[i].status == RCPT_DEAD;
	}
	/* A recipient missing from the state is still waiting: never finish
	 * (delete) a message because its state could not name everyone. */
	open |= at->unrecorded != NULL;
	/* Both the age (from arrival, or from the last requeue) and a
	 * number of tries: a clock set days forward must not make the
	 * first temporary failure a dead letter. This attempt counts. */
	born = m->state.since > 0 ? m->state.since : m->env.arrival;
	tries = m->state.attempts + (at->counted ? 1 : 0);
	if (open && now - born >= ctx->conf->give_up &&
	    tries >= ctx->conf->give_up_attempts) {
		char text[128];

		snprintf(text, sizeof(text),
		    "gave up after %d attempts in %llds", tries,
		    (long long)(now - born));
		rcpt_mark_open(m, RCPT_DEAD, text, now);
		log_msg(LOG_WARNING, "%s: %s", m->id, text);
		open = false;
		dead = true;
	}
	why = at->unrecorded != NULL ? at->unrecorded : last_reason(&m->state);
	free(m->state.reason);
	m->state.reason = why != NULL ? strdup(why) : NULL;
	m->state.last_attempt = now;
	if (open) {
		long delay;
		bool filed;

		if (at->counted)
			m->state.attempts++;
		delay =
		    backoff_delay(ctx->conf->retry_first, ctx->conf->retry_max,
			m->state.attempts > 0 ? m->state.attempts : 1,
			(double)random() / RAND_MAX);
		if (!at->counted && at->retry_hint > 0)
			delay = at->retry_hint;
		/* Never further out than retry_max: a scan takes anything
		 * beyond that as due (the clock went back). */
		if (delay > ctx->conf->retry_max)
			delay = ctx->conf->retry_max;
		m->state.next_try = now + delay;
		if (next_try != NULL)
			*next_try = m->state.next_try;
		if (spool_save_state(m, &err) != MS_OK) {
			log_msg(LOG_CRIT,
			    "%s: cannot record the outcome (%s); the flusher "
			    "stops",
			    m->id, err.msg);
			spool_release(m);
			return DELIVER_STUCK;
		}
		/* Into deferred/ while the claim is ours; a failure leaves
		 * it in queue/, where the next pass files it. */
		if (spool_schedule(m, &filed, &err) != MS_OK)
			log_msg(LOG_ERR, "%s: %s", m->id, err.msg);
		spool_release(m);
		return DELIVER_DEFERRED;
	}
	if (dead) {
		/* The notice goes once the message is in dead/, so that a
		 * failed bury (retried next pass) does not repeat it. */
		if (spool_bury(m, &err) != MS_OK) {
			log_msg(LOG_CRIT,
			    "%s: cannot move to dead letters (%s); the "
			    "flusher stops",
			    m->id, err.msg);
			spool_release(m);
			return DELIVER_STUCK;
		}
		log_msg(LOG_WARNING, "%s: moved to dead letters", m->id);
		notice_dead(ctx, m);
		spool_release(m);
		return DELIVER_DEAD;
	}
	if (spool_finish(m, &err) != MS_OK) {
		log_msg(LOG_CRIT, "%s: %s; the flusher stops", m->id, err.msg);
		return DELIVER_STUCK;
	}
	log_msg(LOG_INFO, "%s: removed", m->id);
	return DELIVER_DONE;
}

enum deliver_outcome
deliver_one(struct deliver_ctx *ctx, struct spool_msg *m, long long *next_try)
{
	long long now = (long long)time(NULL);
	struct attempt at = { 0 };
	const struct route_conf *rt;
	char *sender = NULL;
	enum deliver_outcome out;
	struct ms_err err;
	const char *bad;

	if (m->claimed_uid != m->env.uid)
		log_msg(LOG_WARNING,
		    "%s: envelope claims uid %ld but the file is owned by "
		    "uid %ld: the owner is the submitter",
		    m->id, m->claimed_uid, m->env.uid);
	if (!rcpt_resolve(ctx, m, now, &err)) {
		/* The state cannot hold a recipient: send nothing (what is
		 * not recorded would be sent again on every pass). */
		char why[RELAY_REPLY_MAX];

		snprintf(why, sizeof(why),
		    "cannot record delivery state: %.300s", err.msg);
		log_msg(LOG_ERR, "%s: %s; message deferred", m->id, why);
		rcpt_mark_open(m, RCPT_DEFERRED, why, now);
		at.retry_hint = RELAY_COOL_DEFAULT;
		at.unrecorded = why;
		return finish_message(ctx, m, &at, now, next_try);
	}
	at.rcpts = calloc(m->state.nrcpt + 1, sizeof(*at.rcpts));
	at.states = calloc(m->state.nrcpt + 1, sizeof(*at.states));
	at.masq_domain = ctx->conf->domain;
	at.masq_host = ctx->conf->hostname;
	if (at.rcpts == NULL || at.states == NULL) {
		free(at.rcpts);
		free(at.states);
		spool_release(m);
		return DELIVER_ERROR;
	}
	if (m->env.sender[0] != '\0' &&
	    (bad = addr_check(m->env.sender)) != NULL) {
		char why[256], shown[128];

		/* Never a MAIL FROM the front end would have refused. */
		log_msg(LOG_WARNING,
		    "%s: invalid sender address in the spool file: %s (%s)",
		    m->id,
		    ms_escape(shown, sizeof(shown), m->env.sender,
			strlen(m->env.sender)),
		    bad);
		snprintf(why, sizeof(why),
		    "invalid sender address in the spool file: %s", bad);
		rcpt_mark_open(m, RCPT_DEAD, why, now);
		out = finish_message(ctx, m, &at, now, next_try);
		free(at.rcpts);
		free(at.states);
		return out;
	}
	if (masq_sender(m->env.sender, ctx->conf->domain, ctx->conf->hostname,
		&sender) != MS_OK ||
	    sender == NULL)
		sender = strdup(m->env.sender);
	rt = route_pick_user(
	    ctx->conf, sender != NULL ? sender : "", m->env.uid);
	if (rt == NULL) {
		char why[RELAY_REPLY_MAX], shown[MS_ESCAPE_SIZE(200)];

		snprintf(why, sizeof(why),
		    "no route for sender <%s> from uid %ld and no "
		    "default route",
		    ms_escape(shown, sizeof(shown),
			sender != NULL ? sender : "",
			sender != NULL ? strlen(sender) : 0),
		    m->env.uid);
		log_msg(LOG_ERR, "%s: %s", m->id, why);
		rcpt_mark_open(m, RCPT_DEFERRED, why, now);
		at.retry_hint = RELAY_COOL_DEFAULT;
	} else if (rcpt_collect_open(m, &at, now) > 0) {
		/* Nothing goes out unless its outcome can be recorded. */
		at.sent_since_save = true;
		route_recipients(ctx, m, rt,
		    rt->rewrite_sender != NULL ? rt->rewrite_sender : sender,
		    now, &at);
	}
	if (at.stuck) {
		spool_release(m);
		out = DELIVER_STUCK;
	} else {
		out = finish_message(ctx, m, &at, now, next_try);
	}
	free(sender);
	free(at.rcpts);
	free(at.states);
	return out;
}
