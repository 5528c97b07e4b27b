/*
 * deliver.c - delivers one claimed message: aliases and masquerading,
 *             route by sender, relays in order with failover, one log
 *             line per attempt, then finish / defer with backoff / bury.
 *
 * API:    deliver_ctx_init(), deliver_ctx_free(), deliver_one().
 * Rules:  a recipient marked sent is never sent again; a relay fault
 *         (connect, TLS, auth, quota) never dead-letters mail, it moves
 *         the mail to the next relay and holds the faulty one for a
 *         while (one log line when the hold starts); only a permanent
 *         answer about the message, or the give-up age, makes it dead.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "backoff.h"
#include "deliver.h"
#include "escape.h"
#include "log.h"
#include "masq.h"
#include "ratelimit.h"
#include "route.h"
#include "schedule.h"

#define RELAY_COOL_DEFAULT 60 /* seconds a failed relay is skipped */
#define NO_COUNT_RETRY	   30 /* throttled: try again this soon */

/* Watches the run/ directory this process opened (through its descriptor,
 * so nothing is followed) for any change of a name; without a watch
 * (no inotify, no run/) every hold check reads the file. Made by each
 * worker for itself: an inotify instance is not shared across fork. */
static void
hold_watch_start(struct deliver_ctx *ctx)
{
	char path[64];
	int fd;

	if (ctx->spool->runfd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ctx->spool->runfd);
	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return;
	if (inotify_add_watch(fd, path,
		IN_ONLYDIR | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
		    IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB |
		    IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		close(fd);
		return;
	}
	ctx->holdwatch = fd;
}

/* Reads every pending event of the watch; forgets what it knew of the
 * holds when a hold-* name changed, events were lost or the watch is
 * gone (then every check reads the file again, as without a watch). */
static void
hold_watch_drain(struct deliver_ctx *ctx)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false, gone = false;
	ssize_t n;

	while ((n = read(ctx->holdwatch, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			const struct inotify_event *ev =
			    (const struct inotify_event *)(buf + off);

			if (ev->mask &
			    (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF |
				IN_UNMOUNT))
				gone = true;
			else if ((ev->mask & IN_Q_OVERFLOW) || ev->len == 0 ||
			    strncmp(ev->name, "hold-", 5) == 0)
				changed = true;
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}
	if (n < 0 && errno == EINTR)
		changed = true; /* unread events: trust nothing this time */
	if (gone || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close(ctx->holdwatch);
		ctx->holdwatch = -1;
		changed = true;
	}
	if (changed)
		memset(ctx->no_hold, 0,
		    (size_t)ctx->conf->nrelays * sizeof(*ctx->no_hold));
}

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

/* Seconds on a clock that no one sets (CLOCK_BOOTTIME: counts suspend
 * too): holds within this process do not move with the wall clock. */
static long long
mono_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

static double
now_precise(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* ---- recipients ---- */

struct resolve_arg {
	struct spool_msg *m;
	const char *relay_hint;
};

static enum ms_status
add_final(const char *addr, void *arg, struct ms_err *err)
{
	struct resolve_arg *ra = arg;

	if (state_rcpt(&ra->m->state, addr) == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	return MS_OK;
}

/* A recipient the spool file cannot justify (hand-edited, damaged): it
 * is recorded dead with the reason, and never reaches a relay. Returns
 * false only when even that cannot be recorded. */
static bool
refuse_spooled(struct spool_msg *m, const char *addr, const char *what,
    const char *why, long long now, struct ms_err *err)
{
	char text[256], shown[128];

	log_msg(LOG_WARNING,
	    "%s: invalid %s address in the spool file: %s (%s)", m->id, what,
	    ms_escape(shown, sizeof(shown), addr, strlen(addr)), why);
	snprintf(text, sizeof(text), "invalid %s address in the spool file: %s",
	    what, why);
	return state_set(&m->state, addr, RCPT_DEAD, NULL, text, now, err) ==
	    MS_OK;
}

/* Turns the envelope recipients into final addresses in m->state (new
 * ones pending; those already sent or dead keep their status). Every
 * address read back from the spool goes through addr_check() again, the
 * same check the front end made. False when the state cannot hold a
 * recipient (err says why): the caller then sends nothing. */
static bool
resolve_recipients(struct deliver_ctx *ctx, struct spool_msg *m, long long now,
    struct ms_err *err)
{
	const struct ms_conf *c = ctx->conf;
	struct resolve_arg ra = { .m = m };
	struct ms_err e;

	for (size_t i = 0; i < m->env.nrcpt; i++) {
		const char *rcpt = m->env.rcpts[i], *bad = addr_check(rcpt);
		enum ms_status st = MS_OK;
		char *q = NULL;

		if (bad != NULL) {
			if (!refuse_spooled(
				m, rcpt, "recipient", bad, now, err))
				return false;
			continue;
		}
		if (ctx->aliases_broken && addr_is_local(rcpt)) {
			q = addr_qualify(rcpt, c->domain);
			st = state_set(&m->state, q != NULL ? q : rcpt,
			    RCPT_DEFERRED, NULL, "aliases file unreadable", now,
			    err);
			free(q);
			if (st != MS_OK)
				return false;
			continue;
		}
		st = aliases_resolve_host(ctx->aliases, rcpt, c->domain,
		    c->hostname, c->catchall, add_final, &ra, &e);
		if (st != MS_OK) {
			char why[sizeof(e.msg)];

			q = addr_qualify(rcpt, c->domain);
			snprintf(why, sizeof(why), "%s", e.msg);
			st = state_set(&m->state, q != NULL ? q : rcpt,
			    st == MS_TEMP ? RCPT_DEFERRED : RCPT_DEAD, NULL,
			    why, now, err);
			free(q);
			if (st != MS_OK)
				return false;
		}
	}
	return true;
}

static bool
rcpt_open(const struct rcpt_state *r)
{
	return r->status == RCPT_PENDING || r->status == RCPT_DEFERRED;
}

/* ---- one attempt on one relay ---- */

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

static void
hold_relay(struct deliver_ctx *ctx, struct relay *r, const char *why,
    long seconds, long long now)
{
	bool first = false;
	struct ms_err err;
	char quoted[256];

	r->cool_until = mono_now() + seconds;
	if (relay_hold_set(ctx->spool->runfd, r->conf->name, now + seconds, why,
		&first, &err) != MS_OK)
		first = true;
	if (first)
		log_msg(LOG_WARNING,
		    "relay %s held for %lds, mail goes to the "
		    "next relay of its route: %s",
		    r->conf->name, seconds,
		    ms_quote(quoted, sizeof(quoted), why, strlen(why)));
}

/* Is relay rc usable now? If not, why (for the message's reason). */
static bool
relay_usable(struct deliver_ctx *ctx, struct relay *r, long long now, char *why,
    size_t whylen)
{
	long long until = 0;
	struct ms_err err;
	char reason[RELAY_REPLY_MAX];
	size_t i = (size_t)(r->conf - ctx->conf->relays);

	/* The shared hold (any flusher may have set it) carries the reason.
	 * The watch is read before the file is looked at, so a hold set
	 * after that look is an event the next check sees; while none
	 * came, a relay without a hold file still has none (no open of
	 * run/hold-RELAY per message). */
	if (ctx->holdwatch >= 0) {
		hold_watch_drain(ctx);
		if (!ctx->no_hold[i] && ctx->holdwatch >= 0 &&
		    relay_hold_none(ctx->spool->runfd, r->conf->name))
			ctx->no_hold[i] = true;
	}
	if ((ctx->holdwatch < 0 || !ctx->no_hold[i]) &&
	    relay_hold_get(ctx->spool->runfd, r->conf->name, &until, reason,
		sizeof(reason), &err) == MS_OK &&
	    until > now) {
		r->cool_until = mono_now() + (until - now);
		snprintf(why, whylen, "relay %s held for %llds more: %.300s",
		    r->conf->name, until - now, reason);
		return false;
	}
	if (r->cool_until > mono_now()) {
		snprintf(why, whylen, "relay %s held after a failure",
		    r->conf->name);
		return false;
	}
	return true;
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

/* Fills at->rcpts with the recipients still open; returns how many. An
 * address read back from the state file is checked again (the front
 * end's check): one that fails it is dead, never put on the wire. */
static size_t
collect_open(struct spool_msg *m, struct attempt *at, long long now)
{
	at->n = 0;
	for (size_t i = 0; i < m->state.nrcpt; i++) {
		struct rcpt_state *r = &m->state.rcpts[i];
		const char *bad;

		if (!rcpt_open(r))
			continue;
		if ((bad = addr_check(r->addr)) != NULL) {
			char text[256], shown[128];

			log_msg(LOG_WARNING,
			    "%s: invalid recipient address in the spool "
			    "state: %s (%s)",
			    m->id,
			    ms_escape(
				shown, sizeof(shown), r->addr, strlen(r->addr)),
			    bad);
			snprintf(text, sizeof(text),
			    "invalid recipient address in the spool file: %s",
			    bad);
			state_update(r, RCPT_DEAD, NULL, text, now);
			continue;
		}
		at->rcpts[at->n].addr = r->addr;
		at->states[at->n] = r;
		at->n++;
	}
	return at->n;
}

/* ---- the whole message ---- */

static void
mark_open(struct spool_msg *m, enum rcpt_status status, const char *why,
    long long now)
{
	for (size_t i = 0; i < m->state.nrcpt; i++) {
		struct rcpt_state *r = &m->state.rcpts[i];
		char *reply = r->reply != NULL ? strdup(r->reply) : NULL;
		char text[RELAY_REPLY_MAX + 128];

		if (!rcpt_open(r)) {
			free(reply);
			continue;
		}
		if (status == RCPT_DEAD && reply != NULL)
			snprintf(text, sizeof(text), "%s; last reply: %s", why,
			    reply);
		else
			snprintf(text, sizeof(text), "%s", why);
		state_update(r, status, r->relay, text, now);
		free(reply);
	}
}

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

		if (collect_open(m, at, now) == 0)
			break;
		if (r == NULL) {
			snprintf(why, sizeof(why), "relay %s: %.400s",
			    rt->relays[i]->name, err.msg);
			continue;
		}
		if (!relay_usable(ctx, r, now, why, sizeof(why)))
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
	if (why[0] != '\0' && collect_open(m, at, now) > 0) {
		/* No relay of the route could even be tried. */
		mark_open(m, RCPT_DEFERRED, why, now);
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

static void notify_dead(struct deliver_ctx *ctx, const struct spool_msg *m);

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
		mark_open(m, RCPT_DEAD, text, now);
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
		notify_dead(ctx, m);
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
	if (!resolve_recipients(ctx, m, now, &err)) {
		/* The state cannot hold a recipient: send nothing (what is
		 * not recorded would be sent again on every pass). */
		char why[RELAY_REPLY_MAX];

		snprintf(why, sizeof(why),
		    "cannot record delivery state: %.300s", err.msg);
		log_msg(LOG_ERR, "%s: %s; message deferred", m->id, why);
		mark_open(m, RCPT_DEFERRED, why, now);
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
		mark_open(m, RCPT_DEAD, why, now);
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
		mark_open(m, RCPT_DEFERRED, why, now);
		at.retry_hint = RELAY_COOL_DEFAULT;
	} else if (collect_open(m, &at, now) > 0) {
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

/* ---- dead-letter notice ---- */

/* What snprintf wrote, never more than the buffer holds. */
static size_t
line_len(int n, size_t size)
{
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

static enum ms_status
write_notice(struct spool_writer *w, const struct deliver_ctx *ctx,
    const struct spool_msg *m, struct ms_err *err)
{
	char line[1400], from[MS_ESCAPE_SIZE(200)], to[MS_ESCAPE_SIZE(250)];
	enum ms_status st = MS_OK;
	int n;

	/* Sender and recipients may be anything a spool file holds: escaped,
	 * so that none can add a header line to the notice. */
	ms_escape(from, sizeof(from), m->env.sender, strlen(m->env.sender));
	n = snprintf(line, sizeof(line),
	    "From: Mail Delivery System "
	    "<MAILER-DAEMON@%s>\nTo: %s\nSubject: Undeliverable mail %s from "
	    "<%.200s>\nAuto-Submitted: auto-replied\n\nmailshim on %s gave up "
	    "on message %s (from <%.200s>) for these recipients:\n\n",
	    ctx->conf->domain, ctx->conf->dead_notify, m->id, from,
	    ctx->conf->hostname, m->id, from);
	st = spool_write(w, line, line_len(n, sizeof(line)), err);
	for (size_t i = 0; i < m->state.nrcpt && st == MS_OK; i++) {
		const struct rcpt_state *r = &m->state.rcpts[i];

		if (r->status != RCPT_DEAD)
			continue;
		n = snprintf(line, sizeof(line), "  <%s>: %.1000s\n",
		    ms_escape(to, sizeof(to), r->addr, strlen(r->addr)),
		    r->reply != NULL ? r->reply : "");
		st = spool_write(w, line, line_len(n, sizeof(line)), err);
	}
	if (st == MS_OK) {
		n = snprintf(line, sizeof(line),
		    "\nThe message is kept: "
		    "`mailshim show %s`, `mailshim requeue %s`.\n",
		    m->id, m->id);
		st = spool_write(w, line, line_len(n, sizeof(line)), err);
	}
	return st;
}

/* Queues a notice to dead_notify. Never for a message that itself had the
 * null sender (a notice about a notice would loop). */
static void
notify_dead(struct deliver_ctx *ctx, const struct spool_msg *m)
{
	struct envelope env = { 0 };
	struct spool_writer *w;
	struct ms_err err;
	char *head = NULL;
	size_t len;
	enum ms_status st;

	if (ctx->conf->dead_notify == NULL || m->env.sender[0] == '\0')
		return;
	if ((w = malloc(sizeof(*w))) == NULL)
		return;
	st = spool_create(w, ctx->spool->dir, 0, &err);
	if (st == MS_OK) {
		memcpy(env.id, w->id, sizeof(w->id));
		env.arrival = (long long)time(NULL);
		env.uid = (long)getuid();
		env.sender = (char *)"";
		st = env_add_rcpt(&env, ctx->conf->dead_notify, &err);
		if (st == MS_OK)
			st = env_format(&env, &head, &len, &err);
		env.sender = NULL;
		if (st == MS_OK)
			st = spool_write(w, head, len, &err);
		if (st == MS_OK)
			st = write_notice(w, ctx, m, &err);
		if (st == MS_OK)
			st = spool_commit(w, &err);
	}
	if (st == MS_OK)
		log_msg(LOG_INFO, "%s: dead-letter notice queued as %s to <%s>",
		    m->id, w->id, ctx->conf->dead_notify);
	else
		log_msg(LOG_ERR, "%s: cannot queue dead-letter notice: %s",
		    m->id, err.msg);
	spool_abort(w);
	free(head);
	env_free(&env);
	free(w);
}
