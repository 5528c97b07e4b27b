/*
 * notice.c - the dead-letter notice: when a message goes to dead/, a
 *            message from MAILER-DAEMON to dead_notify naming the
 *            recipients given up on and their last replies, queued in
 *            the spool like any other mail.
 *
 * API:    notice_dead() (deliver_priv.h).
 * Rules:  never for a message with the null sender (a notice about a
 *         notice would loop); the notice itself has the null sender.
 * Trust:  sender and recipient addresses come from the spool file:
 *         escaped, so that none can add a header line to the notice
 *         (relay replies only go in its body, cut at 1000 bytes).
 * Errors: none returned: a notice that cannot be queued is logged; the
 *         message stays in dead/ either way.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver_priv.h"
#include "escape.h"
#include "log.h"

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
void
notice_dead(struct deliver_ctx *ctx, const struct spool_msg *m)
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
