/*
 * relay_smtp.c - the "smtp" relay type: any SMTP server (the enterprise
 *                relay, Postfix, SES's SMTP interface given explicitly).
 *
 * API:    relay_smtp_ops (relay.h).
 * Trust:  the password and the client key (tls_key) are read from their
 *         secret sources when the relay is first used, handed to the
 *         session and wiped here at once.
 * Errors: init fails with MS_CONFIG for a bad secret source; send
 *         reports per-recipient results (see smtp_session.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "secret.h"
#include "smtp_session.h"

struct smtp_relay {
	struct smtp_session *sess;
};

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
	if (c->password != NULL) {
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
