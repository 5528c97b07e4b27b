/*
 * deliver.c - delivers one claimed message: route by sender, relays in
 *             order with failover, then finish / defer with backoff /
 *             bury. One attempt on one relay (and its log lines) is in
 *             attempt.c, its recipients (aliases, per-recipient state)
 *             in recipients.c, relay holds in holds.c, the dead-letter
 *             notice in notice.c.
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
	deliver_finish_pending(ctx);
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

/* ---- the whole message ---- */

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
		if (deliver_stopping(ctx)) {
			ms_copy(why, sizeof(why), RELAY_REPLY_STOPPING);
			break;
		}
		/* Who the previous relay took is on disk before the next
		 * transaction starts; if it cannot be, nobody else is tried. */
		if (at->sent_since_save && !attempt_checkpoint(ctx, m, at))
			return;
		attempt_relay(ctx, m, r, at, now);
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

/* Every recipient has it: the message and its state go (spool_finish).
 * False when they cannot: the flusher must stop. */
static bool
remove_delivered(struct spool_msg *m)
{
	struct ms_err err;

	if (spool_finish(m, &err) != MS_OK) {
		log_msg(LOG_CRIT, "%s: %s; the flusher stops", m->id, err.msg);
		return false;
	}
	log_msg(LOG_INFO, "%s: removed", m->id);
	return true;
}

static enum deliver_outcome
finish_message(struct deliver_ctx *ctx, struct spool_msg *m,
    const struct attempt *at, long long now, long long *next_try)
{
	bool open = false, dead = false, older_ok;
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
	/* The removal can wait for the next relay wait: the message stays
	 * claimed meanwhile, so no other flusher can take it, and a crash
	 * before it leaves what a crash between the server's reply and the
	 * removal always left (sent again once its state is due). One
	 * waits at most: an older one is removed first. */
	older_ok = deliver_finish_pending(ctx);
	if (ctx->finish_later && older_ok) {
		ctx->finishing = *m; /* ownership moves: m keeps nothing */
		ctx->finish_pending = true;
		m->fd = -1;
		m->image = NULL;
		memset(&m->env, 0, sizeof(m->env));
		memset(&m->state, 0, sizeof(m->state));
		return DELIVER_DONE;
	}
	return remove_delivered(m) && older_ok ? DELIVER_DONE : DELIVER_STUCK;
}

bool
deliver_finish_pending(struct deliver_ctx *ctx)
{
	if (!ctx->finish_pending)
		return true;
	ctx->finish_pending = false;
	return remove_delivered(&ctx->finishing);
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
		spool_unprepare(m); /* nothing sent: fresh again */
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
