/*
 * relay_ses_api.c - the ses relay's v2 API half: sending with SendEmail
 *                   (paced per call through the relay's pacer), SES
 *                   account state with GetAccount, and rate = auto.
 *
 * API:    relay_ses_account() (relay_ses.h); ses_send_api(),
 *         ses_resolve_rate(), ses_ensure_provider(), ses_api_params_of()
 *         (ses_priv.h).
 * Trust:  credentials come from the AWS chain or the relay's source and
 *         are never printed.
 * Errors: as relay_ses.h; sending gives results, not a status.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "relay_ses.h"
#include "ses_priv.h"

#define AUTO_RATE_SHARE	   0.8 /* rate = auto: 80% of MaxSendRate */
#define AUTO_RATE_FALLBACK 1.0 /* ... or the sandbox rate */
#define AUTO_RATE_REFRESH  600 /* seconds between GetAccount calls */

void
ses_api_params_of(const struct relay_conf *rc, struct ses_api_params *ap)
{
	memset(ap, 0, sizeof(*ap));
	ap->region = rc->region;
	ap->fips = rc->fips;
	/* An SMTP relay's endpoint and ca_file are its SMTP server's; its
	 * GetAccount calls (rate = auto, check) go to the regional API
	 * (or AWS_ENDPOINT_URL_SESV2) with AWS_CA_BUNDLE. */
	ap->endpoint = rc->transport == SES_API ? rc->endpoint : NULL;
	ap->ca_file = rc->transport == SES_API ? rc->ca_file : NULL;
	ap->proxy = rc->proxy;
	ap->connect_timeout = rc->connect_timeout;
	ap->timeout = rc->timeout;
	ap->max_time = rc->max_time;
}

enum ms_status
ses_ensure_provider(struct relay *r, struct ses_priv *p, struct ms_err *err)
{
	enum ms_status st;

	if (p->cp != NULL)
		return MS_OK;
	st = aws_creds_provider_new(&p->cp, r->conf->credentials, 0, err);
	if (st == MS_OK)
		aws_creds_provider_set_region(p->cp, r->conf->region);
	if (st == MS_OK && r->conf->role_arn != NULL)
		st = aws_creds_provider_set_role(
		    p->cp, r->conf->role_arn, r->conf->external_id, err);
	return st;
}

/* rate = auto (also an ses relay without `rate`: SES relays are never
 * unpaced): 80% of GetAccount's MaxSendRate when the credentials may
 * ask, else 1/s (the sandbox rate). Asked again every
 * AUTO_RATE_REFRESH seconds and after SES throttled the relay, so a
 * raised limit (or a first failure) does not pin the rate for the life
 * of a --watch process. Said in the log when it changes. The daily
 * quota is only reported: SES itself refuses past it (and the relay is
 * then held), and SentLast24Hours lags behind. */
void
ses_resolve_rate(struct relay *r, struct ses_priv *p)
{
	const struct relay_conf *rc = r->conf;
	struct ses_account acct;
	struct ms_err err = { "" };
	enum ms_status st;
	long long now = (long long)time(NULL);
	double old = p->rate_said ? p->rate : -1; /* log the first value */

	if (!p->rate_auto ||
	    (p->rate_at != 0 && now - p->rate_at < AUTO_RATE_REFRESH &&
		now >= p->rate_at))
		return;
	p->rate_at = now;
	p->rate = AUTO_RATE_FALLBACK;
	st = relay_ses_account(r, &acct, &err);
	if (st == MS_OK && acct.max_rate <= 0)
		snprintf(err.msg, sizeof(err.msg), "MaxSendRate is %.2f",
		    acct.max_rate);
	if (st == MS_OK && acct.max_rate > 0) {
		p->rate = acct.max_rate * AUTO_RATE_SHARE;
		p->rate_said = true;
		if (p->rate != old)
			log_msg(LOG_INFO,
			    "relay %s: rate = auto: %.2f recipients/s "
			    "(80%% of SES MaxSendRate %.2f in %s; %.0f of "
			    "%.0f sent in the last 24 hours)",
			    rc->name, p->rate, acct.max_rate, rc->region,
			    acct.sent_24h, acct.max_24h);
		if (acct.max_24h >= 0 && acct.sent_24h >= acct.max_24h)
			log_msg(LOG_WARNING,
			    "relay %s: the SES 24-hour quota in %s is used "
			    "up (%.0f of %.0f); SES will refuse until it "
			    "frees",
			    rc->name, rc->region, acct.sent_24h, acct.max_24h);
		return;
	}
	p->rate_said = true;
	if (p->rate != old)
		log_msg(LOG_INFO,
		    "relay %s: %s: SES quota unknown (%s); "
		    "pacing at %.0f recipient/s (set rate to your account's "
		    "limit, or allow ses:GetAccount)",
		    rc->name, rc->rate < 0 ? "rate = auto" : "no rate set",
		    err.msg, p->rate);
}

static bool
spec_is_aws_keys(const char *spec)
{
	return spec == NULL || spec[0] == '\0' || strcmp(spec, "chain") == 0 ||
	    strcmp(spec, "env:") == 0 || strcmp(spec, "imds") == 0 ||
	    strcmp(spec, "container") == 0 ||
	    strncmp(spec, "profile:", 8) == 0 ||
	    strncmp(spec, "file:", 5) == 0 ||
	    strncmp(spec, "secretsmanager:", 15) == 0 ||
	    strncmp(spec, "ssm:", 4) == 0;
}

/* The relay's AWS provider when its credentials are AWS keys; who_needs
 * ("GetAccount needs") starts the sentence when they are not. */
static enum ms_status
aws_keys_provider(struct relay *r, const char *who_needs, struct ms_err *err)
{
	const struct relay_conf *rc = r->conf;
	struct ses_priv *p = r->priv;

	if (p == NULL || r->ops != &relay_ses_ops)
		return ms_err_set(err, MS_CONFIG, "not an ses relay");
	if (rc->transport == SES_SMTP &&
	    ((rc->credentials == NULL && rc->username != NULL) ||
		!spec_is_aws_keys(rc->credentials)))
		return ms_err_set(err, MS_CONFIG,
		    "%s AWS keys from the credential chain, profile:, file:, "
		    "secretsmanager: or ssm: (this relay's credentials are "
		    "SMTP ones)",
		    who_needs);
	return ses_ensure_provider(r, p, err);
}

/* A call that still failed with 401/403 after the one retry with fresh
 * credentials ("ses: X answered 403 NAME: ...", AccessDenied being
 * MS_NOPERM already): rejected credentials are the operator's to fix. */
static enum ms_status
rejected_is_perm(enum ms_status st, const struct ms_err *err)
{
	if (st == MS_TEMP &&
	    (strstr(err->msg, " answered 403 ") != NULL ||
		strstr(err->msg, " answered 401 ") != NULL))
		return MS_PERM;
	return st;
}

enum ms_status
relay_ses_identity(struct relay *r, const char *identity,
    struct ses_identity *out, struct ms_err *err)
{
	struct ses_priv *p = r->priv;
	struct ses_api_params ap;
	enum ms_status st;

	memset(out, 0, sizeof(*out));
	if ((st = aws_keys_provider(r, "SES API calls need", err)) != MS_OK)
		return st;
	ses_api_params_of(r->conf, &ap);
	st = ses_api_get_identity(&ap, p->cp, identity, out, err);
	return rejected_is_perm(st, err);
}

enum ms_status
relay_ses_account(struct relay *r, struct ses_account *acct, struct ms_err *err)
{
	struct ses_priv *p = r->priv;
	struct ses_api_params ap;
	enum ms_status st;

	memset(acct, 0, sizeof(*acct));
	if ((st = aws_keys_provider(r, "GetAccount needs", err)) != MS_OK)
		return st;
	ses_api_params_of(r->conf, &ap);
	st = ses_api_get_account(&ap, p->cp, acct, err);
	return rejected_is_perm(st, err);
}

static enum ms_status
api_pace(void *arg, unsigned n, struct ms_err *err)
{
	struct relay *r = arg;
	struct ses_priv *p = r->priv;

	return relay_pace(r, p->rate, n, err);
}

/* Throttled: halve the shared bucket, and ask GetAccount again at the
 * next message (the account's limit may have changed). */
static void
api_slow(void *arg)
{
	struct relay *r = arg;
	struct ses_priv *p = r->priv;

	log_verbose("relay %s: SES throttled; slowing this relay and "
		    "retrying",
	    r->conf->name);
	relay_slow(r, p->rate);
	p->rate_at = 0;
}

enum ms_status
ses_send_api(struct relay *r, struct ses_priv *p, struct relay_msg *msg,
    struct ms_err *err)
{
	struct ses_api_params ap;
	enum ms_status st;

	st = ses_ensure_provider(r, p, err);
	if (st != MS_OK)
		return st;
	ses_api_params_of(r->conf, &ap);
	/* Tokens are reserved per SendEmail call (at most 50 recipients),
	 * as SMTP does per transaction: a 3,500-recipient message at 11/s
	 * goes out paced in about 320 s instead of asking for 3,500
	 * tokens at once (a wait past the pacer's limit, forever). */
	ap.pace = api_pace;
	ap.slow = api_slow;
	ap.pace_arg = r;
	st = ses_api_send(&ap, p->cp, msg, err);
	if (st != MS_OK && st != MS_PERM)
		return st;
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
		ses_alert(r, p, msg);
	}
	return MS_OK;
}
