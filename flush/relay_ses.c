/*
 * relay_ses.c - the `ses` relay type: Amazon SES by region, over its SMTP
 *               interface (through smtp_session, with SES's defaults,
 *               credentials and reply classification) or the v2 API.
 *
 * API:    relay_ses_ops (relay.h), relay_ses_account() (relay_ses.h).
 * Flow:   hold check (run/hold-RELAY) -> size check (40 MB, no network)
 *         -> per batch of at most 50 recipients: shared rate limit
 *         (run/rate-RELAY, charged per recipient) -> smtp_session_send
 *         -> SES-specific follow-up: reconnect and resend once after a
 *         421 / 451 4.4.2, slow the bucket after throttling, hold the
 *         relay (logged once) for quota / pause / IAM denial, say which
 *         identity is not verified in which region.
 * Trust:  credentials are loaded at the first send or probe, live in
 *         struct ses_creds and the session's copy, are wiped, and never
 *         reach a log line, an error or a reply.
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
#include "ratelimit.h"
#include "relay.h"
#include "relay_ses.h"
#include "secret.h"
#include "ses_api.h"
#include "ses_creds.h"
#include "ses_password.h"
#include "ses_region.h"
#include "ses_reply.h"
#include "smtp_session.h"

#define AUTO_RATE_SHARE	   0.8 /* rate = auto: 80% of MaxSendRate */
#define AUTO_RATE_FALLBACK 1.0 /* ... or the sandbox rate */

struct ses_priv {
	struct ses_smtp_settings set;
	int runfd;		       /* spool run/ or -1 */
	struct smtp_session *sess;     /* SMTP transport, after creds */
	struct aws_creds_provider *cp; /* API transport / rate = auto */
	double rate;		       /* resolved recipients per second */
	bool rate_resolved;
	bool auth_logged;
	/* set by the classify hook during one smtp_session_send */
	bool saw_reconnect;
	bool saw_throttle;
	enum ses_kind alert_kind;
	char alert_text[RELAY_REPLY_MAX];
};

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
	char path[4096];

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	p->runfd = -1;
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
	if (r->global != NULL && r->global->spool != NULL &&
	    snprintf(path, sizeof(path), "%s/run", r->global->spool) <
		(int)sizeof(path))
		p->runfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->runfd < 0)
		log_verbose("relay %s: no spool run/ directory; rate limit "
			    "and holds are kept in this process only",
		    rc->name);
	p->rate = rc->rate;
	p->rate_resolved = rc->rate >= 0;
	r->priv = p;
	return MS_OK;
}

/* Key id + secret from the AWS credential sources (chain, profile:,
 * env:, imds, container). */
static enum ms_status
creds_from_aws(const char *source, const char *region, struct ses_creds *c,
    struct ms_err *err)
{
	struct aws_creds ac;
	enum ms_status st;

	memset(&ac, 0, sizeof(ac));
	memset(c, 0, sizeof(*c));
	st = aws_creds_load(source, 0, &ac, err);
	if (st != MS_OK)
		return st;
	if (ac.token != NULL || ses_key_is_temporary(ac.key_id)) {
		st = ms_err_set(err, MS_CONFIG,
		    "credentials \"%s\" are "
		    "temporary AWS keys (a role or SSO session); SES SMTP "
		    "needs "
		    "a long-term IAM user key (or use transport = \"api\")",
		    source);
	} else if (strlen(ac.key_id) >= sizeof(c->username)) {
		st = ms_err_set(err, MS_CONFIG, "access key id too long");
	} else {
		snprintf(c->username, sizeof(c->username), "%s", ac.key_id);
		st = ses_password_derive(ac.secret, strlen(ac.secret), region,
		    c->password, NULL, err);
	}
	aws_creds_free(&ac);
	if (st != MS_OK)
		ses_creds_wipe(c);
	return st;
}

/* A JSON object secret (Secrets Manager, SSM) as ses_creds.h text:
 * "smtp_username"/"smtp_password" (also "username"/"user",
 * "password"/"pass") or "aws_access_key_id"/"aws_secret_access_key"
 * (also "AccessKeyId"/"SecretAccessKey"), names compared without case,
 * '_' and '-'. Anything else is returned as is. The result is wiped
 * and freed by the caller (secret_free). */
static const struct {
	const char *json, *line;
} json_keys[] = {
	{ "smtpusername", "smtp_username" },
	{ "smtpuser", "smtp_username" },
	{ "username", "smtp_username" },
	{ "user", "smtp_username" },
	{ "smtppassword", "smtp_password" },
	{ "smtppass", "smtp_password" },
	{ "password", "smtp_password" },
	{ "pass", "smtp_password" },
	{ "awsaccesskeyid", "aws_access_key_id" },
	{ "accesskeyid", "aws_access_key_id" },
	{ "awssecretaccesskey", "aws_secret_access_key" },
	{ "secretaccesskey", "aws_secret_access_key" },
	{ "awssessiontoken", "aws_session_token" },
	{ "sessiontoken", "aws_session_token" },
};

static const char *
json_key_line(const char *k)
{
	char norm[64];
	size_t n = 0;

	for (; *k != '\0' && n + 1 < sizeof(norm); k++)
		if (*k != '_' && *k != '-')
			norm[n++] = (char)tolower((unsigned char)*k);
	norm[n] = '\0';
	for (size_t i = 0; i < sizeof(json_keys) / sizeof(json_keys[0]); i++)
		if (strcmp(norm, json_keys[i].json) == 0)
			return json_keys[i].line;
	return NULL;
}

static enum ms_status
json_creds_text(struct secret *sec, struct ms_err *err)
{
	json_t *root, *v;
	const char *k;
	char *text = NULL;
	size_t len = 0, cap;
	enum ms_status st = MS_OK;

	if (sec->len == 0 || sec->value[0] != '{')
		return MS_OK;
	root = json_loadb(sec->value, sec->len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return ms_err_set(err, MS_CONFIG,
		    "credentials secret starts with '{' but is not a JSON "
		    "object");
	}
	cap = sec->len + 256;
	if ((text = malloc(cap)) == NULL) {
		st = ms_err_set(err, MS_TEMP, "out of memory");
		goto out;
	}
	json_object_foreach(root, k, v)
	{
		const char *line = json_key_line(k), *s = json_string_value(v);
		int n;

		if (line == NULL || s == NULL)
			continue;
		if (strpbrk(s, "\r\n") != NULL) {
			st = ms_err_set(err, MS_CONFIG,
			    "credentials secret: value of %s holds a line "
			    "break",
			    line);
			goto out;
		}
		n = snprintf(text + len, cap - len, "%s = %s\n", line, s);
		if (n < 0 || (size_t)n >= cap - len) {
			st = ms_err_set(
			    err, MS_CONFIG, "credentials secret is too long");
			goto out;
		}
		len += (size_t)n;
	}
	secret_free(sec);
	sec->value = text;
	sec->len = len;
	text = NULL;
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, cap);
		free(text);
	}
	json_decref(root); /* jansson frees its strings unwiped; the
			      caller's copy is wiped */
	return st;
}

/* The SMTP user name and password of this relay (ses_creds.h). */
static enum ms_status
load_smtp_creds(
    const struct relay_conf *rc, struct ses_creds *c, struct ms_err *err)
{
	struct secret sec;
	enum ms_status st;
	const char *spec = rc->credentials;

	memset(c, 0, sizeof(*c));
	if (spec == NULL && rc->username != NULL && rc->password != NULL) {
		/* username + password, as in an smtp relay. */
		st = secret_load(rc->password, &sec, err);
		if (st != MS_OK)
			return st;
		while (sec.len > 0 &&
		    (sec.value[sec.len - 1] == '\n' ||
			sec.value[sec.len - 1] == '\r'))
			sec.value[--sec.len] = '\0';
		if (strlen(rc->username) >= sizeof(c->username) ||
		    sec.len >= sizeof(c->password) || sec.len == 0)
			st = ms_err_set(err, MS_CONFIG,
			    "username or password "
			    "is empty or too long");
		else if (ses_key_is_temporary(rc->username))
			st = ms_err_set(err, MS_CONFIG,
			    "username is a "
			    "temporary (ASIA...) key id; SES SMTP needs a "
			    "long-term IAM user key");
		else {
			snprintf(c->username, sizeof(c->username), "%s",
			    rc->username);
			memcpy(c->password, sec.value, sec.len);
		}
		secret_free(&sec);
		return st;
	}
	if (spec != NULL &&
	    (strncmp(spec, "file:", 5) == 0 ||
		strncmp(spec, "secretsmanager:", 15) == 0 ||
		strncmp(spec, "ssm:", 4) == 0 ||
		(strncmp(spec, "env:", 4) == 0 && spec[4] != '\0'))) {
		st = secret_load(spec, &sec, err);
		if (st != MS_OK)
			return st;
		st = json_creds_text(&sec, err);
		if (st == MS_OK)
			st = ses_creds_parse(
			    sec.value, sec.len, rc->region, c, err);
		secret_free(&sec);
		return st;
	}
	/* chain, "", env:, profile:NAME, imds, container. */
	return creds_from_aws(spec, rc->region, c, err);
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
	st = load_smtp_creds(rc, &c, err);
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
	return st;
}

static void
api_params(const struct relay_conf *rc, struct ses_api_params *ap)
{
	memset(ap, 0, sizeof(*ap));
	ap->region = rc->region;
	/* An SMTP relay's endpoint and ca_file are its SMTP server's; its
	 * GetAccount calls (rate = auto, check) go to the regional API
	 * (or AWS_ENDPOINT_URL_SES) with AWS_CA_BUNDLE. */
	ap->endpoint = rc->transport == SES_API ? rc->endpoint : NULL;
	ap->ca_file = rc->transport == SES_API ? rc->ca_file : NULL;
	ap->proxy = rc->proxy;
	ap->connect_timeout = rc->connect_timeout;
	ap->timeout = rc->timeout;
	ap->max_time = rc->max_time;
}

static enum ms_status
ensure_provider(struct relay *r, struct ses_priv *p, struct ms_err *err)
{
	if (p->cp != NULL)
		return MS_OK;
	return aws_creds_provider_new(&p->cp, r->conf->credentials, 0, err);
}

/* rate = auto: 80% of GetAccount's MaxSendRate when the credentials may
 * ask, else 1/s (the sandbox rate). Asked once per process. The daily
 * quota is only reported: SES itself refuses past it (and the relay is
 * then held), and SentLast24Hours lags behind. */
static void
resolve_rate(struct relay *r, struct ses_priv *p)
{
	const struct relay_conf *rc = r->conf;
	struct ses_account acct;
	struct ms_err err = { "" };
	enum ms_status st;

	if (p->rate_resolved)
		return;
	p->rate_resolved = true;
	p->rate = AUTO_RATE_FALLBACK;
	st = relay_ses_account(r, &acct, &err);
	if (st == MS_OK && acct.max_rate <= 0)
		snprintf(err.msg, sizeof(err.msg), "MaxSendRate is %.2f",
		    acct.max_rate);
	if (st == MS_OK && acct.max_rate > 0) {
		p->rate = acct.max_rate * AUTO_RATE_SHARE;
		log_msg(LOG_INFO,
		    "relay %s: rate = auto: %.2f recipients/s "
		    "(80%% of SES MaxSendRate %.2f in %s; %.0f of %.0f sent "
		    "in the last 24 hours)",
		    rc->name, p->rate, acct.max_rate, rc->region, acct.sent_24h,
		    acct.max_24h);
		if (acct.max_24h >= 0 && acct.sent_24h >= acct.max_24h)
			log_msg(LOG_WARNING,
			    "relay %s: the SES 24-hour quota in %s is used "
			    "up (%.0f of %.0f); SES will refuse until it "
			    "frees",
			    rc->name, rc->region, acct.sent_24h, acct.max_24h);
		return;
	}
	log_msg(LOG_INFO,
	    "relay %s: rate = auto: SES quota unknown (%s); "
	    "using %.0f recipient/s",
	    rc->name, err.msg, p->rate);
}

/* ---- sending ---- */

static void
set_all(
    struct relay_rcpt *rc, size_t n, enum ms_status result, const char *reply)
{
	for (size_t i = 0; i < n; i++) {
		rc[i].result = result;
		snprintf(rc[i].reply, sizeof(rc[i].reply), "%s", reply);
	}
}

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

/* The 3-digit code a reply starts with, or 0. */
static int
reply_code(const char *t)
{
	if (t[0] < '1' || t[0] > '5' || t[1] < '0' || t[1] > '9' ||
	    t[2] < '0' || t[2] > '9')
		return 0;
	return (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
}

/* Operator-friendly replies for "not verified" and "too long". */
static void
explain(struct relay *r, struct relay_msg *msg, const char **addrs)
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
static void
alert(struct relay *r, struct ses_priv *p, const struct relay_msg *part)
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
		if (relay_hold_set(p->runfd, rc->name,
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

static void
rest_temp(struct relay_msg *msg, size_t from, const char *why)
{
	char reply[RELAY_REPLY_MAX];

	snprintf(reply, sizeof(reply), "not attempted: %s", why);
	if (from < msg->nrcpt)
		set_all(msg->rcpts + from, msg->nrcpt - from, MS_TEMP, reply);
}

static enum ms_status
send_api(struct relay *r, struct ses_priv *p, struct relay_msg *msg,
    struct ms_err *err)
{
	struct ses_api_params ap;
	enum ms_status st;

	st = ensure_provider(r, p, err);
	if (st != MS_OK)
		return st;
	st = ratelimit_acquire(
	    p->runfd, r->conf->name, p->rate, (unsigned)msg->nrcpt, err);
	if (st != MS_OK) {
		rest_temp(msg, 0, err->msg);
		msg->no_count = true;
		return MS_OK;
	}
	api_params(r->conf, &ap);
	st = ses_api_send(&ap, p->cp, msg, err);
	if (st != MS_OK && st != MS_PERM)
		return st;
	for (size_t i = 0; i < msg->nrcpt; i++) {
		struct ses_class c;

		ses_reply_classify(msg->rcpts[i].result == MS_TEMP ? 454 : 250,
		    msg->rcpts[i].reply, SES_STAGE_DATA, &c);
		if (c.slow) {
			(void)ratelimit_slow(
			    p->runfd, r->conf->name, p->rate, err);
			break;
		}
	}
	if (msg->health == RELAY_HOLD && msg->nrcpt > 0) {
		struct ses_class c;

		/* The API's error texts carry SES's wording: find which
		 * hold it is (quota, paused, IAM); quota when unsure. */
		ses_reply_classify(
		    454, msg->rcpts[0].reply, SES_STAGE_DATA, &c);
		if (c.kind != SES_K_QUOTA)
			ses_reply_classify(
			    554, msg->rcpts[0].reply, SES_STAGE_DATA, &c);
		p->alert_kind = c.kind == SES_K_PAUSED || c.kind == SES_K_ACCESS
		    ? c.kind
		    : SES_K_QUOTA;
		snprintf(p->alert_text, sizeof(p->alert_text), "%s",
		    msg->rcpts[0].reply);
		alert(r, p, msg);
	}
	return MS_OK;
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

	msg->health = RELAY_FINE;
	msg->hold_seconds = 0;
	msg->no_count = false;
	msg->remote_id[0] = '\0';
	snprintf(msg->peer, sizeof(msg->peer), "%.200s:%ld", p->set.host,
	    p->set.port);

	/* Held (quota, paused, IAM): no network at all. */
	if (relay_hold_get(p->runfd, rc->name, &until, reason, sizeof(reason),
		err) == MS_OK &&
	    until > now) {
		snprintf(reply, sizeof(reply), "relay %s is held for %llds: %s",
		    rc->name, until - now, reason);
		set_all(msg->rcpts, msg->nrcpt, MS_TEMP, reply);
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
		set_all(msg->rcpts, msg->nrcpt, MS_PERM, reply);
		return MS_OK;
	}
	resolve_rate(r, p);
	if (rc->transport == SES_API)
		return send_api(r, p, msg, err);

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

		st = ratelimit_acquire(
		    p->runfd, rc->name, p->rate, (unsigned)n, err);
		if (st != MS_OK) {
			rest_temp(msg, i, err->msg);
			msg->no_count = true;
			break;
		}
		part = *msg;
		part.rcpts = msg->rcpts + i;
		part.nrcpt = n;
		p->saw_reconnect = p->saw_throttle = false;
		p->alert_kind = SES_K_OK;
		st = smtp_session_send(p->sess, &part, err);
		if (st == MS_OK && p->saw_reconnect)
			st = resend_once(r, p, &part, err);
		if (st != MS_OK) {
			rest_temp(msg, i, err->msg);
			msg->health = RELAY_FAILED;
			break;
		}
		if (p->saw_throttle) {
			log_verbose("relay %s: SES throttled; halving the "
				    "sending rate for a while",
			    rc->name);
			(void)ratelimit_slow(p->runfd, rc->name, p->rate, err);
		}
		alert(r, p, &part);
		merge(msg, &part);
		if (part.health != RELAY_FINE) {
			rest_temp(msg, i + n, part.rcpts[0].reply);
			break;
		}
	}
	explain(r, msg, addrs);
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
		st = ensure_provider(r, p, err);
		if (st != MS_OK)
			return st;
		api_params(r->conf, &ap);
		return ses_api_get_account(&ap, p->cp, &acct, err);
	}
	st = ensure_session(r, p, err);
	if (st != MS_OK)
		return st;
	return smtp_session_probe(p->sess, err);
}

/* True when spec names AWS keys a credentials provider can sign with. */
static bool
spec_is_aws_keys(const char *spec)
{
	return spec == NULL || spec[0] == '\0' || strcmp(spec, "chain") == 0 ||
	    strcmp(spec, "env:") == 0 || strcmp(spec, "imds") == 0 ||
	    strcmp(spec, "container") == 0 ||
	    strncmp(spec, "profile:", 8) == 0 || strncmp(spec, "file:", 5) == 0;
}

enum ms_status
relay_ses_account(struct relay *r, struct ses_account *acct, struct ms_err *err)
{
	const struct relay_conf *rc = r->conf;
	struct ses_priv *p = r->priv;
	struct ses_api_params ap;
	enum ms_status st;

	memset(acct, 0, sizeof(*acct));
	if (p == NULL || r->ops != &relay_ses_ops)
		return ms_err_set(err, MS_CONFIG, "not an ses relay");
	if (rc->transport == SES_SMTP &&
	    ((rc->credentials == NULL && rc->username != NULL) ||
		!spec_is_aws_keys(rc->credentials)))
		return ms_err_set(err, MS_CONFIG,
		    "GetAccount needs AWS keys from the credential chain, "
		    "profile: or file: (this relay's credentials are SMTP "
		    "ones or kept in a secret)");
	st = ensure_provider(r, p, err);
	if (st != MS_OK)
		return st;
	api_params(rc, &ap);
	st = ses_api_get_account(&ap, p->cp, acct, err);
	if (st != MS_TEMP)
		return st;
	/* "ses: GetAccount answered 403 NAME: ..." (AccessDenied is
	 * MS_NOPERM already) after the one retry with fresh credentials:
	 * rejected credentials are the operator's to fix. */
	if (strstr(err->msg, " answered 403 ") != NULL ||
	    strstr(err->msg, " answered 401 ") != NULL)
		return MS_PERM;
	return st;
}

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
	if (p->runfd >= 0)
		close(p->runfd);
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
};
