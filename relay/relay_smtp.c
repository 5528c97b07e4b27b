/*
 * relay_smtp.c - the "smtp" relay type: any SMTP server (the enterprise
 *                relay, Postfix, SES's SMTP interface given explicitly).
 *
 * API:    relay_smtp_ops (relay.h).
 * Trust:  the password, the client key (tls_key) and the OAuth2 client
 *         secret or service-account key are read from their secret
 *         sources when the relay is first used, handed to the session or
 *         the token source (oauth2.c) and wiped here at once. Host, port,
 *         user and password may come from a from_parameter ticket
 *         (ticket.c); keys set in the config win.
 * Rotation: the password (or ticket) is read again after secret_ttl (a
 *         new session only when it changed) and, past the cache, after
 *         the server refused it (535): the session is rebuilt with it
 *         and the message sent once more before the relay is held.
 * Errors: init fails with MS_CONFIG for a bad secret source; send
 *         reports per-recipient results (see smtp_session.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/evp.h>

#include "aws_secret.h"
#include "log.h"
#include "oauth2.h"
#include "relay.h"
#include "secret.h"
#include "smtp_session.h"
#include "ticket.h"

#define SHA256_LEN 32

struct smtp_relay {
	struct smtp_session *sess;
	struct oauth2 *oauth;	      /* auth = "xoauth2" */
	unsigned char fp[SHA256_LEN]; /* fingerprint() of sess's params */
	long long read_at;	      /* when its secrets were read */
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

/* The password comes from a source that can change under us (a file, a
 * variable, a secret kept in AWS, a from_parameter ticket): it is read
 * again after secret_ttl and after a 535. */
static bool
password_rereadable(const struct relay_conf *c)
{
	if (c->auth != NULL && strcmp(c->auth, "xoauth2") == 0)
		return false;
	return c->password != NULL || c->from_parameter != NULL;
}

/* SHA-256 of what the session was built from (host, port, user,
 * password), to tell a re-read secret that changed from one that did
 * not (no reconnect then). Only the digest is kept. */
static void
fingerprint(const struct smtp_params *p, unsigned char out[SHA256_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char port[24];
	const char *parts[] = { p->host, port, p->username, p->password };
	unsigned int n = 0;

	memset(out, 0, SHA256_LEN);
	snprintf(port, sizeof(port), "%ld", p->port);
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (size_t i = 0; i < MS_ARRAY_LEN(parts); i++) {
		const char *v = parts[i] != NULL ? parts[i] : "";

		if (EVP_DigestUpdate(ctx, v, strlen(v) + 1) != 1)
			goto out;
	}
	(void)EVP_DigestFinal_ex(ctx, out, &n);
out:
	EVP_MD_CTX_free(ctx);
}

/* Fills host, port, username and password of p from the ticket, where
 * the config does not set them itself. */
static void
apply_ticket(
    struct smtp_params *p, const struct relay_conf *c, const struct ticket *t)
{
	if (t->host != NULL)
		p->host = t->host;
	if (c->port == 0)
		p->port = t->port != 0	     ? t->port
		    : c->tls == TLS_IMPLICIT ? 465
		    : c->tls == TLS_STARTTLS ? 587
					     : 25;
	if (t->user != NULL)
		p->username = t->user;
	if (t->pass.value != NULL)
		p->password = t->pass.value;
}

/* Builds the session on first use: the secret is read only when the
 * relay is actually needed. With reread, the secrets are read again and
 * the session is replaced when they changed (a rotation). */
static enum ms_status
session_get(
    struct relay *r, bool reread, struct smtp_session **out, struct ms_err *err)
{
	struct smtp_relay *sr = r->priv;
	const struct relay_conf *c = r->conf;
	struct smtp_params p;
	struct secret pw = { NULL, 0 }, key = { NULL, 0 };
	struct ticket t = { 0 };
	unsigned char fp[SHA256_LEN];
	enum ms_status st;

	if (sr->sess != NULL && !reread) {
		*out = sr->sess;
		return MS_OK;
	}
	smtp_params_from_conf(&p, c, r->global);
	if (c->from_parameter != NULL) {
		st = ticket_load(c, &t, err);
		if (st != MS_OK)
			return st;
		apply_ticket(&p, c, &t);
	}
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
		if (p.username == NULL) {
			ticket_free(&t);
			return ms_err_set(err, MS_CONFIG,
			    "relay %s: password "
			    "given without username",
			    c->name);
		}
		st = secret_load(c->password, &pw, err);
		if (st != MS_OK) {
			char why[sizeof(err->msg)];

			ticket_free(&t);
			snprintf(why, sizeof(why), "%s", err->msg);
			return ms_err_set(
			    err, st, "relay %s: %s", c->name, why);
		}
		p.password = pw.value;
	} else if (c->username != NULL && c->from_parameter == NULL) {
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: username given "
		    "without password",
		    c->name);
	}
	fingerprint(&p, fp);
	if (sr->sess != NULL && memcmp(fp, sr->fp, sizeof(fp)) == 0) {
		/* Read again, unchanged: keep the open connection. */
		sr->read_at = (long long)time(NULL);
		secret_free(&pw);
		ticket_free(&t);
		*out = sr->sess;
		return MS_OK;
	}
	if (c->tls_key != NULL) {
		st = secret_load(c->tls_key, &key, err);
		if (st != MS_OK) {
			char why[sizeof(err->msg)];

			secret_free(&pw);
			ticket_free(&t);
			snprintf(why, sizeof(why), "%s", err->msg);
			return ms_err_set(
			    err, st, "relay %s: tls_key: %s", c->name, why);
		}
		p.tls_key = key.value;
	}
	if (sr->sess != NULL) {
		log_verbose(
		    "relay %s: its secrets changed; new session", c->name);
		smtp_session_free(sr->sess);
		sr->sess = NULL;
	}
	st = smtp_session_new(&sr->sess, &p, err);
	secret_free(&pw);
	secret_free(&key);
	ticket_free(&t);
	if (st == MS_OK) {
		memcpy(sr->fp, fp, sizeof(fp));
		sr->read_at = (long long)time(NULL);
		*out = sr->sess;
	}
	return st;
}

/* Nothing of msg was accepted or refused for good: all still to send. */
static bool
all_temp(const struct relay_msg *msg)
{
	for (size_t i = 0; i < msg->nrcpt; i++)
		if (msg->rcpts[i].result != MS_TEMP)
			return false;
	return true;
}

/* After a 535: the password may have been rotated. Read it once more
 * (past the cache), rebuild the session with it and send again. */
static enum ms_status
resend_reauth(struct relay *r, struct relay_msg *msg, struct ms_err *err)
{
	struct smtp_relay *sr = r->priv;
	const struct relay_conf *c = r->conf;
	struct smtp_session *s;
	struct ms_err e2 = { "" };

	log_msg(LOG_INFO,
	    "relay %s: the server refused the login; reading the password "
	    "again and retrying once",
	    c->name);
	secret_forget(c->password);
	secret_forget(c->from_parameter);
	smtp_session_free(sr->sess);
	sr->sess = NULL;
	if (session_get(r, false, &s, &e2) != MS_OK) {
		log_msg(LOG_WARNING, "relay %s: %s", c->name, e2.msg);
		return MS_OK; /* keep the first attempt's results */
	}
	return smtp_session_send(s, msg, err);
}

static enum ms_status
smtp_send(struct relay *r, struct relay_msg *msg, struct ms_err *err)
{
	struct smtp_relay *sr = r->priv;
	struct smtp_session *s;
	enum ms_status st;
	bool aged = sr->sess != NULL && password_rereadable(r->conf) &&
	    (long long)time(NULL) - sr->read_at >= aws_secret_ttl();

	/* Secrets older than secret_ttl are read again (rotation); when
	 * that fails the session built from the old ones goes on. */
	st = session_get(r, aged, &s, err);
	if (st != MS_OK && aged && sr->sess != NULL) {
		log_msg(LOG_WARNING,
		    "%s (going on with the secrets read before)", err->msg);
		sr->read_at = (long long)time(NULL);
		s = sr->sess;
		st = MS_OK;
	}
	if (st != MS_OK) {
		msg->health = RELAY_FAILED;
		return st;
	}
	st = smtp_session_send(s, msg, err);
	if (st == MS_OK && smtp_session_auth_refused(s) &&
	    password_rereadable(r->conf) && all_temp(msg))
		st = resend_reauth(r, msg, err);
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

	st = session_get(r, false, &s, err);
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
	.idles_first = true,
};
