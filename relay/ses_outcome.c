/*
 * ses_outcome.c - what an SES answer means once a batch is over: every
 *                 recipient's result and reply, the operator's wording
 *                 for an unverified identity or a message too large, and
 *                 the one log line (and relay hold) for a refused login,
 *                 an exhausted quota, a paused account or an IAM denial.
 *                 For both transports (relay_ses.c, relay_ses_api.c).
 *
 * API:    ses_set_all(), ses_rest_temp(), ses_explain(), ses_alert()
 *         (ses_priv.h).
 * Trust:  replies are the server's text, quoted (ms_quote) before they
 *         reach a log line; no credential is ever part of one.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aws_secret.h"
#include "log.h"
#include "relay.h"
#include "ses_reply.h"
#include "ses_priv.h"

void
ses_set_all(
    struct relay_rcpt *rc, size_t n, enum ms_status result, const char *reply)
{
	for (size_t i = 0; i < n; i++) {
		rc[i].result = result;
		snprintf(rc[i].reply, sizeof(rc[i].reply), "%s", reply);
	}
}

/* The 3-digit code a reply starts with, or 0. */
static int
reply_code(const char *t)
{
	if (t[0] < '1' || t[0] > '5' || t[1] < '0' || t[1] > '9' ||
	    t[2] < '0' || t[2] > '9')
		return 0;
	return (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
}

void
ses_explain(struct relay *r, struct relay_msg *msg, const char **addrs)
{
	char hint[RELAY_REPLY_MAX], orig[RELAY_REPLY_MAX];

	for (size_t i = 0; i < msg->nrcpt; i++) {
		struct relay_rcpt *rr = &msg->rcpts[i];
		struct ses_class c;

		if (rr->result != MS_PERM)
			continue;
		ses_reply_classify(
		    reply_code(rr->reply), rr->reply, SES_STAGE_DATA, &c);
		snprintf(orig, sizeof(orig), "%s", rr->reply);
		if (c.kind == SES_K_UNVERIFIED) {
			ses_reply_unverified_hint(orig, msg->sender, addrs,
			    msg->nrcpt, r->conf->region, hint, sizeof(hint));
			snprintf(rr->reply, sizeof(rr->reply), "%.250s: %.250s",
			    hint, orig);
		} else if (c.kind == SES_K_TOO_BIG) {
			snprintf(rr->reply, sizeof(rr->reply),
			    "message too "
			    "large for SES: %.450s",
			    orig);
		}
	}
}

/* Logs what needs an operator, once: credentials (once per process),
 * holds (once per hold, through run/hold-RELAY). */
void
ses_alert(struct relay *r, struct ses_priv *p, const struct relay_msg *part)
{
	const struct relay_conf *rc = r->conf;
	char q[210];
	struct ses_class c;
	struct ms_err err;
	bool first = true;
	long long now = (long long)time(NULL);
	int code;

	if (p->alert_kind == SES_K_OK)
		return;
	ms_quote(q, sizeof(q), p->alert_text, strlen(p->alert_text));
	/* API replies start with the HTTP status, not an SMTP code. */
	code = r->conf->transport == SES_API ? 0 : reply_code(p->alert_text);
	if (code == 0) /* API error text: no SMTP code */
		code = p->alert_kind == SES_K_QUOTA ? 454 : 554;
	ses_reply_classify(code, p->alert_text, SES_STAGE_DATA, &c);
	switch (p->alert_kind) {
	case SES_K_AUTH:
	case SES_K_TLS:
		/* A secret kept in AWS may have been rotated: fetch it
		 * again next time instead of reusing this run's copy. */
		if (p->alert_kind == SES_K_AUTH)
			aws_secret_cache_clear();
		if (!p->auth_logged)
			log_msg(LOG_ERR,
			    "relay %s: SES refused the SMTP login "
			    "for region %s (%s): the credentials are wrong for "
			    "region %s (wrong key, a password derived for "
			    "another region, or temporary keys); mail stays "
			    "queued",
			    rc->name, rc->region, q, rc->region);
		p->auth_logged = true;
		break;
	case SES_K_QUOTA:
	case SES_K_PAUSED:
	case SES_K_ACCESS:
		if (relay_hold(r,
			now +
			    (part->hold_seconds > 0 ? part->hold_seconds
						    : SES_HOLD_QUOTA),
			q, &first, &err) != MS_OK)
			log_msg(LOG_WARNING, "relay %s: %s", rc->name, err.msg);
		if (first)
			log_msg(LOG_ERR,
			    "relay %s (region %s) held for %lds: "
			    "%s (%s)",
			    rc->name, rc->region, part->hold_seconds, c.hint,
			    q);
		break;
	default: break;
	}
}

void
ses_rest_temp(struct relay_msg *msg, size_t from, const char *why)
{
	char reply[RELAY_REPLY_MAX];

	snprintf(reply, sizeof(reply), "not attempted: %s", why);
	if (from < msg->nrcpt)
		ses_set_all(
		    msg->rcpts + from, msg->nrcpt - from, MS_TEMP, reply);
}
