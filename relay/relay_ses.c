/*
 * relay_ses.c - the `ses` relay type: Amazon SES by region, over its SMTP
 *               interface (through smtp_session, with SES's defaults,
 *               credentials and reply classification) or the v2 API.
 *
 * API:    relay_ses_ops (relay.h). The v2 API half, GetAccount and
 *         rate = auto are in relay_ses_api.c; what an answer means for
 *         the recipients and the operator (results, hints, alerts and
 *         holds) in ses_outcome.c.
 * Flow:   hold check (run/hold-RELAY) -> size check (40 MB, no network)
 *         -> per batch of at most 50 recipients: shared rate limit
 *         (run/rate-RELAY, charged per recipient) -> smtp_session_send
 *         -> SES-specific follow-up: reconnect and resend once after a
 *         421 / 451 4.4.2; after a 535 read the credentials again,
 *         rebuild the session with them and retry once (a rotated
 *         secret); slow the bucket after throttling, hold the
 *         relay (logged once) for quota / pause / IAM denial, say which
 *         identity is not verified in which region.
 * Trust:  credentials are loaded at the first send or probe, and again
 *         after secret_ttl or a 535; they live in struct ses_creds and
 *         the session's copy, are wiped, and never reach a log line, an
 *         error or a reply.
 * Errors: init: MS_CONFIG (China, tls none, bad endpoint), MS_TEMP;
 *         send: MS_OK with results, or MS_CONFIG/MS_TEMP when nothing
 *         could be attempted (credentials unusable, memory).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws_creds.h"
#include "aws_secret.h"
#include "log.h"
#include "relay.h"
#include "relay_ses.h"
#include "secret.h"
#include "ses_api.h"
#include "ses_creds.h"
#include "ses_password.h"
#include "ses_region.h"
#include "ses_reply.h"
#include "smtp_session.h"
#include "ses_priv.h"

/* ---- setup ---- */

static enum ses_stage
stage_of(enum smtp_stage st)
{
	switch (st) {
	case SMTP_STAGE_CONNECT:
	case SMTP_STAGE_BANNER: return SES_STAGE_CONNECT;
	case SMTP_STAGE_EHLO:
	case SMTP_STAGE_STARTTLS: return SES_STAGE_EHLO;
	case SMTP_STAGE_AUTH: return SES_STAGE_AUTH;
	case SMTP_STAGE_MAIL:
	case SMTP_STAGE_OTHER: return SES_STAGE_MAIL;
	case SMTP_STAGE_RCPT: return SES_STAGE_RCPT;
	case SMTP_STAGE_DATA:
	case SMTP_STAGE_DOT: return SES_STAGE_DATA;
	}
	return SES_STAGE_DATA;
}

/* smtp_session's reply hook: SES's table instead of the generic one. */
static void
ses_classify_hook(int code, const char *text, enum smtp_stage stage,
    struct smtp_class *out, void *arg)
{
	struct ses_priv *p = arg;
	struct ses_class c;

	ses_reply_classify(code, text, stage_of(stage), &c);
	out->result = c.result;
	out->health = c.health;
	out->hold_seconds = c.hold_seconds;
	out->no_count = c.no_count;
	if (c.reconnect)
		p->saw_reconnect = true;
	if (c.slow)
		p->saw_throttle = true;
	if (c.alert && p->alert_kind == SES_K_OK) {
		p->alert_kind = c.kind;
		snprintf(p->alert_text, sizeof(p->alert_text), "%s",
		    text != NULL ? text : "");
	}
}

static enum ms_status
ses_init(struct relay *r, struct ms_err *err)
{
	const struct relay_conf *rc = r->conf;
	struct ses_priv *p;
	enum ms_status st;

	if (rc->role_arn != NULL && rc->transport != SES_API)
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: role_arn needs transport = \"api\" (the SES "
		    "SMTP password comes from a long-term IAM key, not a "
		    "role's temporary one)",
		    rc->name);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	if (rc->transport == SES_API) {
		/* The API takes `endpoint` as a URL (ses_api.h) and has no
		 * SMTP port or TLS mode: the SMTP settings (limits) must
		 * neither refuse nor warn about those. */
		struct relay_conf api_rc = *rc;

		api_rc.endpoint = NULL;
		api_rc.host = NULL;
		api_rc.port = 0;
		api_rc.tls = TLS_STARTTLS;
		st = ses_smtp_settings(&api_rc, &p->set, err);
	} else {
		st = ses_smtp_settings(rc, &p->set, err);
	}
	if (st != MS_OK) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		free(p);
		return ms_err_set(err, st, "relay %s: %s", rc->name, why);
	}
	for (int i = 0; i < p->set.nwarn; i++)
		log_msg(LOG_WARNING, "relay %s (region %s): %s", rc->name,
		    rc->region, p->set.warn[i]);
	/* An ses relay is never unpaced: no rate (or 0) means auto. */
	p->rate = rc->rate > 0 ? rc->rate : 1.0;
	p->rate_auto = !(rc->rate > 0);
	r->priv = p;
	return MS_OK;
}

static enum ms_status
ensure_session(struct relay *r, struct ses_priv *p, struct ms_err *err)
{
	const struct relay_conf *rc = r->conf;
	struct smtp_params sp;
	struct ses_creds c;
	enum ms_status st;

	if (p->sess != NULL)
		return MS_OK;
	st = ses_creds_load(rc, &c, err);
	if (st != MS_OK) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		return ms_err_set(err, st, "relay %s: %s", rc->name, why);
	}
	/* The region's settings decide where and how; the rest is the
	 * relay's own configuration, as for any smtp relay. */
	smtp_params_from_conf(&sp, rc, r->global);
	sp.host = p->set.host;
	sp.port = p->set.port;
	sp.tls = p->set.tls;
	sp.tls_name = p->set.tls_name[0] != '\0' ? p->set.tls_name : NULL;
	sp.username = c.username;
	sp.password = c.password;
	sp.max_per_connection = p->set.max_per_connection;
	sp.max_recipients = p->set.max_recipients;
	sp.classify = ses_classify_hook;
	sp.classify_arg = p;
	st = smtp_session_new(&p->sess, &sp, err);
	ses_creds_wipe(&c);
	p->sess_creds_at = (long long)time(NULL);
	return st;
}

static enum ms_status resend_once(struct relay *r, struct ses_priv *p,
    struct relay_msg *part, struct ms_err *err);

/* Credentials the relay reads from a source that can change under it
 * (a secret kept in AWS, a file, the environment's chain). */
static bool
creds_rereadable(const struct relay_conf *rc)
{
	const char *s =
	    rc->credentials != NULL ? rc->credentials : rc->password;

	return s == NULL || strncmp(s, "secretsmanager:", 15) == 0 ||
	    strncmp(s, "ssm:", 4) == 0 || strncmp(s, "file:", 5) == 0 ||
	    strncmp(s, "profile:", 8) == 0 || strcmp(s, "chain") == 0;
}

/* Forgets the session and the cached secrets, and builds the session
 * again from freshly read credentials (a rotated secret). */
static enum ms_status
rebuild_session(struct relay *r, struct ses_priv *p, struct ms_err *err)
{
	aws_secret_cache_clear();
	smtp_session_free(p->sess);
	p->sess = NULL;
	return ensure_session(r, p, err);
}

/* One batch through the session, resent once on a fresh connection
 * when SES ended the session. */
static enum ms_status
send_part(struct relay *r, struct ses_priv *p, struct relay_msg *part,
    struct ms_err *err)
{
	enum ms_status st;

	p->saw_reconnect = p->saw_throttle = false;
	p->alert_kind = SES_K_OK;
	st = smtp_session_send(p->sess, part, err);
	if (st == MS_OK && p->saw_reconnect)
		st = resend_once(r, p, part, err);
	return st;
}

/* ---- sending ---- */

static void
merge(struct relay_msg *agg, const struct relay_msg *part)
{
	if (part->health > agg->health)
		agg->health = part->health;
	if (part->hold_seconds > agg->hold_seconds)
		agg->hold_seconds = part->hold_seconds;
	if (part->no_count)
		agg->no_count = true;
	if (part->peer[0] != '\0')
		snprintf(agg->peer, sizeof(agg->peer), "%s", part->peer);
	if (part->remote_id[0] != '\0' &&
	    !ses_reply_message_id(
		part->remote_id, agg->remote_id, sizeof(agg->remote_id)))
		snprintf(agg->remote_id, sizeof(agg->remote_id), "%s",
		    part->remote_id);
}

/* Resends, on a fresh connection, the recipients of part that failed
 * temporarily (after SES closed the session: 421, 451 4.4.2). */
static enum ms_status
resend_once(struct relay *r, struct ses_priv *p, struct relay_msg *part,
    struct ms_err *err)
{
	struct relay_rcpt *again;
	struct relay_msg sub;
	size_t n = 0, k = 0;
	enum ms_status st;

	for (size_t i = 0; i < part->nrcpt; i++)
		if (part->rcpts[i].result == MS_TEMP)
			n++;
	if (n == 0)
		return MS_OK;
	again = calloc(n, sizeof(*again));
	if (again == NULL)
		return MS_OK; /* keep the temporary results */
	for (size_t i = 0; i < part->nrcpt; i++)
		if (part->rcpts[i].result == MS_TEMP) {
			if (k == 0)
				log_verbose(
				    "relay %s: SES ended the session "
				    "(%.120s); reconnecting and resending to "
				    "%zu recipient(s)",
				    r->conf->name, part->rcpts[i].reply, n);
			again[k++].addr = part->rcpts[i].addr;
		}
	smtp_session_close(p->sess);
	sub = *part;
	sub.rcpts = again;
	sub.nrcpt = n;
	p->saw_reconnect = false;
	st = smtp_session_send(p->sess, &sub, err);
	if (st == MS_OK) {
		k = 0;
		for (size_t i = 0; i < part->nrcpt; i++)
			if (part->rcpts[i].result == MS_TEMP)
				part->rcpts[i] = again[k++];
		part->health = sub.health;
		part->hold_seconds = sub.hold_seconds;
		part->no_count = sub.no_count;
		snprintf(part->peer, sizeof(part->peer), "%s", sub.peer);
		snprintf(part->remote_id, sizeof(part->remote_id), "%s",
		    sub.remote_id);
	}
	free(again);
	return st;
}

static enum ms_status
ses_send(struct relay *r, struct relay_msg *msg, struct ms_err *err)
{
	const struct relay_conf *rc = r->conf;
	struct ses_priv *p = r->priv;
	char reason[256], reply[RELAY_REPLY_MAX];
	long long until = 0, now = (long long)time(NULL);
	const char **addrs = NULL;
	size_t batch, i;
	enum ms_status st;
	off_t size;
	bool reauthed = false;

	msg->health = RELAY_FINE;
	msg->hold_seconds = 0;
	msg->no_count = false;
	msg->remote_id[0] = '\0';
	snprintf(msg->peer, sizeof(msg->peer), "%.200s:%ld", p->set.host,
	    p->set.port);

	/* Held (quota, paused, IAM): no network at all. */
	if (relay_held(r, &until, reason, sizeof(reason), err) == MS_OK &&
	    until > now) {
		snprintf(reply, sizeof(reply), "relay %s is held for %llds: %s",
		    rc->name, until - now, reason);
		ses_set_all(msg->rcpts, msg->nrcpt, MS_TEMP, reply);
		msg->health = RELAY_HOLD;
		msg->hold_seconds = (long)(until - now);
		msg->no_count = true;
		return MS_OK;
	}
	size = msg_source_size(msg->src);
	if (size < 0)
		return ms_err_set(err, MS_TEMP,
		    "relay %s: cannot read the "
		    "queued message: %s",
		    rc->name, strerror(errno));
	if ((long long)size > (long long)p->set.max_size) {
		snprintf(reply, sizeof(reply),
		    "message is %lld bytes; SES "
		    "accepts at most %s",
		    (long long)size,
		    p->set.max_size == SES_MAX_SIZE ? "40 MB" : "max_size");
		ses_set_all(msg->rcpts, msg->nrcpt, MS_PERM, reply);
		return MS_OK;
	}
	ses_resolve_rate(r, p);
	if (rc->transport == SES_API)
		return ses_send_api(r, p, msg, err);

	/* Credentials older than secret_ttl are read again (rotation). */
	if (p->sess != NULL && creds_rereadable(rc) &&
	    now - p->sess_creds_at >= aws_secret_ttl()) {
		smtp_session_free(p->sess);
		p->sess = NULL;
	}
	st = ensure_session(r, p, err);
	if (st != MS_OK) {
		if (!p->auth_logged)
			log_msg(LOG_ERR, "%s", err->msg);
		p->auth_logged = true;
		return st;
	}
	addrs = calloc(msg->nrcpt + 1, sizeof(*addrs));
	if (addrs == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	for (i = 0; i < msg->nrcpt; i++)
		addrs[i] = msg->rcpts[i].addr;

	batch = (size_t)p->set.max_recipients;
	for (i = 0; i < msg->nrcpt; i += batch) {
		size_t n = msg->nrcpt - i < batch ? msg->nrcpt - i : batch;
		struct relay_msg part;

		st = relay_pace(r, p->rate, (unsigned)n, err);
		if (st != MS_OK) {
			ses_rest_temp(msg, i, err->msg);
			msg->no_count = true;
			break;
		}
		part = *msg;
		part.rcpts = msg->rcpts + i;
		part.nrcpt = n;
		part.committed = NULL; /* called below, once per batch */
		st = send_part(r, p, &part, err);
		if (st == MS_OK && p->alert_kind == SES_K_AUTH && !reauthed &&
		    creds_rereadable(rc)) {
			/* 535: the secret may have been rotated. Read it
			 * again, rebuild the session with it, retry once. */
			reauthed = true;
			log_msg(LOG_INFO,
			    "relay %s: SES refused the login; reading the "
			    "credentials again and retrying once",
			    rc->name);
			if (rebuild_session(r, p, err) == MS_OK)
				st = send_part(r, p, &part, err);
			else
				log_msg(LOG_WARNING, "relay %s: %s", rc->name,
				    err->msg);
		}
		if (st != MS_OK) {
			ses_rest_temp(msg, i, err->msg);
			msg->health = RELAY_FAILED;
			break;
		}
		if (p->saw_throttle) {
			log_verbose("relay %s: SES throttled; halving the "
				    "sending rate for a while",
			    rc->name);
			relay_slow(r, p->rate);
			p->rate_at = 0; /* rate = auto: ask SES again */
		}
		ses_alert(r, p, &part);
		merge(msg, &part);
		if (part.health != RELAY_FINE) {
			ses_rest_temp(msg, i + n, part.rcpts[0].reply);
			break;
		}
		if (i + n < msg->nrcpt &&
		    relay_committed(msg, i, n, err) != MS_OK) {
			ses_rest_temp(msg, i + n, err->msg);
			msg->no_count = true;
			break;
		}
	}
	ses_explain(r, msg, addrs);
	free(addrs);
	return MS_OK;
}

static enum ms_status
ses_probe(struct relay *r, struct ms_err *err)
{
	struct ses_priv *p = r->priv;
	struct ses_api_params ap;
	struct ses_account acct;
	enum ms_status st;

	if (r->conf->transport == SES_API) {
		st = ses_ensure_provider(r, p, err);
		if (st != MS_OK)
			return st;
		ses_api_params_of(r->conf, &ap);
		return ses_api_get_account(&ap, p->cp, &acct, err);
	}
	st = ensure_session(r, p, err);
	if (st != MS_OK)
		return st;
	return smtp_session_probe(p->sess, err);
}

/* True when spec names AWS keys a credentials provider can sign with. */
static void
ses_close(struct relay *r)
{
	struct ses_priv *p = r->priv;

	if (p != NULL && p->sess != NULL)
		smtp_session_close(p->sess);
}

static void
ses_destroy(struct relay *r)
{
	struct ses_priv *p = r->priv;

	if (p == NULL)
		return;
	smtp_session_free(p->sess);
	if (p->cp != NULL)
		aws_creds_provider_free(p->cp);
	free(p);
	r->priv = NULL;
}

const struct relay_ops relay_ses_ops = {
	.type = "ses",
	.init = ses_init,
	.send = ses_send,
	.close = ses_close,
	.destroy = ses_destroy,
	.probe = ses_probe,
	.paces_itself = true, /* 50 recipients a transaction, each charged */
};
