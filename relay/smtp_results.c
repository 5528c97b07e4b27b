/*
 * smtp_results.c - one SMTP transaction's transcript turned into a result
 *                  and a reply for each recipient, and the relay's health.
 *
 * API:    smtp_results(), smtp_reply_failing(), smtp_rcpt_set().
 *         Documented in smtp_results.h.
 * Trust:  the transcript holds the server's replies, already bounded and
 *         quoted by smtp_reply.c.
 * Errors: none; every recipient gets MS_OK, MS_TEMP or MS_PERM.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "smtp_results.h"

bool
smtp_reply_failing(const struct smtp_reply *r)
{
	return r->code != 0 && (r->code < 200 || r->code >= 400);
}

static void
merge_health(struct relay_msg *msg, const struct smtp_class *c)
{
	if (c->health > msg->health)
		msg->health = c->health;
	if (c->hold_seconds > msg->hold_seconds)
		msg->hold_seconds = c->hold_seconds;
	if (c->no_count)
		msg->no_count = true;
}

void
smtp_rcpt_set(struct relay_rcpt *rc, enum ms_status result, const char *text)
{
	size_t n = strnlen(text, sizeof(rc->reply) - 1);

	rc->result = result;
	memmove(rc->reply, text, n); /* text may be another reply */
	rc->reply[n] = '\0';
}

void
smtp_results(
    const struct smtp_outcome *o, struct relay_msg *msg, size_t first, size_t n)
{
	const struct smtp_transcript *t = o->tr;
	const struct smtp_reply *g = NULL;
	smtp_classify_fn classify =
	    o->classify != NULL ? o->classify : smtp_classify;
	void *arg = o->classify_arg;
	struct smtp_class c;
	char why[SMTP_TEXT_MAX];

	if (smtp_reply_failing(&t->dot))
		g = &t->dot;
	else if (smtp_reply_failing(&t->data))
		g = &t->data;
	else if (smtp_reply_failing(&t->mail))
		g = &t->mail;
	else if (smtp_reply_failing(&t->fail) &&
	    t->fail.stage != SMTP_STAGE_RCPT)
		g = &t->fail;

	if (o->auth_missing)
		snprintf(why, sizeof(why),
		    "relay offered no AUTH although a "
		    "username is configured; refusing to send unauthenticated");
	else if (o->read_failed)
		snprintf(why, sizeof(why), "cannot read the queued message: %s",
		    strerror(o->read_errno));
	else
		snprintf(why, sizeof(why), "%s", o->why);

	for (size_t i = 0; i < n; i++) {
		struct relay_rcpt *rr = &msg->rcpts[first + i];
		const struct smtp_reply *r = smtp_transcript_rcpt(t, i);

		if (r != NULL && smtp_reply_failing(r)) {
			classify(r->code, r->text, SMTP_STAGE_RCPT, &c, arg);
			smtp_rcpt_set(rr,
			    c.result == MS_OK ? MS_TEMP : c.result, r->text);
		} else if (o->auth_missing || o->read_failed) {
			c.result = MS_TEMP;
			c.health = o->read_failed ? RELAY_FINE : RELAY_FAILED;
			c.hold_seconds = 0;
			c.no_count = false;
			smtp_rcpt_set(rr, MS_TEMP, why);
		} else if (r == NULL && t->dot.code / 100 == 2) {
			/* its RCPT reply was not recorded: a duplicate is
			 * better than a loss */
			c.result = MS_TEMP;
			c.health = RELAY_FINE;
			c.hold_seconds = 0;
			c.no_count = false;
			smtp_rcpt_set(rr, MS_TEMP, "no RCPT reply recorded");
		} else if (t->dot.code / 100 == 2) {
			classify(
			    t->dot.code, t->dot.text, SMTP_STAGE_DOT, &c, arg);
			smtp_rcpt_set(rr, c.result, t->dot.text);
		} else if (g != NULL) {
			classify(g->code, g->text, g->stage, &c, arg);
			smtp_rcpt_set(rr,
			    c.result == MS_OK ? MS_TEMP : c.result, g->text);
		} else {
			c.result = MS_TEMP;
			c.health = RELAY_FAILED;
			c.hold_seconds = 0;
			c.no_count = false;
			smtp_rcpt_set(rr, MS_TEMP,
			    why[0] ? why : "no reply from the server");
		}
		merge_health(msg, &c);
	}
	if (t->dot.code != 0) {
		const char *id = t->dot.text;

		id += strlen(id) >= 4 ? 4 : strlen(id);
		if (t->dot.code / 100 == 2)
			snprintf(
			    msg->remote_id, sizeof(msg->remote_id), "%s", id);
	}
}
