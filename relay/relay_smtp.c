/*
 * relay_smtp.c - the "smtp" relay type: any SMTP server (the enterprise
 *                relay, Postfix, SES's SMTP interface given explicitly).
 *
 * API:    relay_smtp_ops (relay.h).
 * Trust:  the password, the client key (tls_key) and the OAuth2 client
 *         secret or service-account key are read from their secret
 *         sources when the relay is first used, handed to the session or
 *         the token source (oauth2.c) and wiped here at once.
 * Errors: init fails with MS_CONFIG for a bad secret source; send
 *         reports per-recipient results (see smtp_session.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth2.h"
#include "relay.h"
#include "secret.h"
#include "smtp_session.h"

struct smtp_relay {
	struct smtp_session *sess;
	struct oauth2 *oauth; /* auth = "xoauth2" */
};

static enum ms_status
bearer_cb(void *arg, bool refresh, const char **token, struct ms_err *err)
{
	return oauth2_token(arg, refresh, token, err);
}

/* Loads spec into s, naming key in the error. */
static enum ms_status
load_named(const struct relay_conf *c, const char *key, const char *spec,
    struct secret *s, struct ms_err *err)
{
	enum ms_status st;
	char why[sizeof(err->msg)];

	if (spec == NULL)
		return MS_OK;
	st = secret_load(spec, s, err);
	if (st != MS_OK) {
		snprintf(why, sizeof(why), "%s", err->msg);
		return ms_err_set(
		    err, st, "relay %s: %s: %s", c->name, key, why);
	}
	return MS_OK;
}

/* auth = "xoauth2": the token source (secrets read now, copied by
 * oauth2_new, wiped here) and the XOAUTH2 user. */
static enum ms_status
oauth_setup(struct smtp_relay *sr, const struct relay_conf *c, int runfd,
    struct smtp_params *p, struct ms_err *err)
{
	struct secret cs = { NULL, 0 }, sa = { NULL, 0 };
	struct oauth2_params op = {
		.name = c->name,
		.token_url = c->oauth2_token_url,
		.client_id = c->client_id,
		.scope = c->scope,
		.subject = c->oauth2_subject,
		.token_spec = c->oauth2_token,
		.ca_file = c->ca_file,
		.proxy = c->proxy,
		.connect_timeout = c->connect_timeout,
		.timeout = c->timeout,
		.runfd = runfd, /* the token is shared through run/ */
	};
	enum ms_status st;

	if (c->password != NULL)
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: auth = \"xoauth2\" takes no password", c->name);
	p->username = c->username != NULL ? c->username : c->oauth2_subject;
	if (p->username == NULL)
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: xoauth2 needs the mailbox to send as "
		    "(username, or oauth2_subject)",
		    c->name);
	st = load_named(c, "client_secret", c->client_secret, &cs, err);
	if (st == MS_OK)
		st = load_named(c, "oauth2_service_account",
		    c->oauth2_service_account, &sa, err);
	if (st == MS_OK) {
		op.client_secret = cs.value;
		op.sa_key = sa.value;
		st = oauth2_new(&sr->oauth, &op, err);
	}
	secret_free(&cs);
	secret_free(&sa);
	if (st != MS_OK)
		return st;
	p->bearer = bearer_cb;
	p->bearer_arg = sr->oauth;
	return MS_OK;
}

static enum ms_status
smtp_init(struct relay *r, struct ms_err *err)
{
	struct smtp_relay *sr;

	sr = calloc(1, sizeof(*sr));
	if (sr == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	r->priv = sr;
	return MS_OK;
}

/* Builds the session on first use: the secret is read only when the
 * relay is actually needed. */
static enum ms_status
session_get(struct relay *r, struct smtp_session **out, struct ms_err *err)
{
	struct smtp_relay *sr = r->priv;
	const struct relay_conf *c = r->conf;
	struct smtp_params p;
	struct secret pw = { NULL, 0 }, key = { NULL, 0 };
	enum ms_status st;

	if (sr->sess != NULL) {
		*out = sr->sess;
		return MS_OK;
	}
	smtp_params_from_conf(&p, c, r->global);
	if (c->auth != NULL && strcmp(c->auth, "xoauth2") == 0) {
		if (sr->oauth == NULL) {
			st = oauth_setup(sr, c, r->runfd, &p, err);
			if (st != MS_OK)
				return st;
		} else {
			p.username = c->username != NULL ? c->username
							 : c->oauth2_subject;
			p.bearer = bearer_cb;
			p.bearer_arg = sr->oauth;
		}
	} else if (c->password != NULL) {
		if (c->username == NULL)
			return ms_err_set(err, MS_CONFIG,
			    "relay %s: password "
			    "given without username",
			    c->name);
		st = secret_load(c->password, &pw, err);
		if (st != MS_OK) {
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err->msg);
			return ms_err_set(
			    err, st, "relay %s: %s", c->name, why);
		}
		p.password = pw.value;
	} else if (c->username != NULL) {
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: username given "
		    "without password",
		    c->name);
	}
	if (c->tls_key != NULL) {
		st = secret_load(c->tls_key, &key, err);
		if (st != MS_OK) {
			char why[sizeof(err->msg)];

			secret_free(&pw);
			snprintf(why, sizeof(why), "%s", err->msg);
			return ms_err_set(
			    err, st, "relay %s: tls_key: %s", c->name, why);
		}
		p.tls_key = key.value;
	}
	st = smtp_session_new(&sr->sess, &p, err);
	secret_free(&pw);
	secret_free(&key);
	if (st == MS_OK)
		*out = sr->sess;
	return st;
}

static enum ms_status
smtp_send(struct relay *r, struct relay_msg *msg, struct ms_err *err)
{
	struct smtp_session *s;
	enum ms_status st;

	st = session_get(r, &s, err);
	if (st != MS_OK) {
		msg->health = RELAY_FAILED;
		return st;
	}
	st = smtp_session_send(s, msg, err);
	/* A plain SMTP server's queue id is only part of its reply text,
	 * which the log line already quotes: no separate id= field. */
	msg->remote_id[0] = '\0';
	return st;
}

static enum ms_status
smtp_probe(struct relay *r, struct ms_err *err)
{
	struct smtp_session *s;
	enum ms_status st;

	st = session_get(r, &s, err);
	if (st != MS_OK)
		return st;
	return smtp_session_probe(s, err);
}

static void
smtp_close(struct relay *r)
{
	struct smtp_relay *sr = r->priv;

	if (sr != NULL)
		smtp_session_close(sr->sess);
}

static void
smtp_destroy(struct relay *r)
{
	struct smtp_relay *sr = r->priv;

	if (sr == NULL)
		return;
	smtp_session_free(sr->sess);
	oauth2_free(sr->oauth);
	free(sr);
	r->priv = NULL;
}

const struct relay_ops relay_smtp_ops = {
	.type = "smtp",
	.init = smtp_init,
	.send = smtp_send,
	.close = smtp_close,
	.destroy = smtp_destroy,
	.probe = smtp_probe,
};
