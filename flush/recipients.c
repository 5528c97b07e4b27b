/*
 * recipients.c - a message's recipients: the envelope's addresses through
 *                the aliases into final addresses in the message's state,
 *                which of them are still open, and marking them all at
 *                once.
 *
 * API:    rcpt_resolve(), rcpt_open(), rcpt_collect_open(),
 *         rcpt_mark_open() (deliver_priv.h).
 * Rules:  a recipient already sent or dead keeps its status; an address
 *         read back from the spool (envelope or state) passes addr_check()
 *         again, the front end's check, or it is dead and never reaches a
 *         relay.
 * Trust:  spool files may be hand-edited or damaged: addresses from them
 *         are logged escaped.
 * Errors: rcpt_resolve() is false when the state cannot hold a recipient
 *         (the reason in the caller's ms_err); then nothing is sent.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "aliases.h"
#include "deliver_priv.h"
#include "escape.h"
#include "log.h"

struct resolve_arg {
	struct spool_msg *m;
	const char *relay_hint;
};

static enum ms_status
add_final(const char *addr, void *arg, struct ms_err *err)
{
	struct resolve_arg *ra = arg;

	if (state_rcpt(&ra->m->state, addr) == NULL)
		return state_rcpt_error(&ra->m->state, err);
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
bool
rcpt_resolve(struct deliver_ctx *ctx, struct spool_msg *m, long long now,
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

bool
rcpt_open(const struct rcpt_state *r)
{
	return r->status == RCPT_PENDING || r->status == RCPT_DEFERRED;
}

/* Fills at->rcpts with the recipients still open; returns how many. An
 * address read back from the state file is checked again (the front
 * end's check): one that fails it is dead, never put on the wire. */
size_t
rcpt_collect_open(struct spool_msg *m, struct attempt *at, long long now)
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

void
rcpt_mark_open(struct spool_msg *m, enum rcpt_status status, const char *why,
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
