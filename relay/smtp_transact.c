/*
 * smtp_transact.c - transactions on an SMTP session: a message sent to
 *                   its recipients in batches (max_recipients), each
 *                   batch one MAIL/RCPT/DATA transaction with its
 *                   connection bookkeeping (max_per_connection, one
 *                   reconnect when a reused connection turns out dead,
 *                   one new XOAUTH2 token when the server refuses it)
 *                   and the relay's health (a relay that fails gets no
 *                   more batches of this message); and the probe
 *                   (connect, TLS, AUTH, NOOP).
 *
 * API:    smtp_session_send(), smtp_session_probe().  See smtp_session.h.
 * Trust:  talks to the network; every reply goes through smtp_reply.c
 *         and smtp_results.c, every failure's sentence through
 *         smtp_why.c. The AUTH exchange is hidden from the transcript.
 *         A token the server refuses is replaced once per transaction.
 * Errors: delivery outcomes are per-recipient results; the function
 *         status is MS_OK unless nothing could be attempted.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <curl/curl.h>

#include "log.h"
#include "smtp_priv.h"
#include "smtp_results.h"
#include "smtp_why.h"

#if LIBCURL_VERSION_NUM >= 0x080200
#define MS_OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define MS_OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

static void
set_peer(struct smtp_session *s, char *peer, size_t len)
{
	char *ip = NULL;
	long port = 0;

	if (s->curl != NULL &&
	    curl_easy_getinfo(s->curl, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK &&
	    ip != NULL && *ip != '\0') {
		curl_easy_getinfo(s->curl, CURLINFO_PRIMARY_PORT, &port);
		snprintf(peer, len, "%s[%s]:%ld", s->name, ip,
		    port > 0 ? port : s->p.port);
	} else {
		snprintf(peer, len, "%s[%s]:%ld", s->name, s->host, s->p.port);
	}
}

/* What libcurl's error means, in one line, without secrets
 * (smtp_why.c). */
static void
describe_curl(struct smtp_session *s, CURLcode rc, char *out, size_t len)
{
	struct smtp_failure f = {
		.rc = rc,
		.errbuf = s->errbuf,
		.tr = &s->tr,
		.host = s->host,
		.port = s->p.port,
		.tls = s->p.tls,
		.ca_file = s->ca_file,
		.tls_cert = s->tls_cert,
		.max_time = s->p.max_time,
		.max_time_hit = s->max_time_hit,
		.cert_requested = s->cert_requested,
		.tls_alert = s->tls_alert,
		.xoauth2 = s->p.bearer != NULL,
		/* libcurl stops asking once it has INFILESIZE bytes */
		.body_short = !s->body_eof && s->body_sent < s->body_size,
		.body_sent = s->body_sent,
		.body_size = s->body_size,
	};

	curl_easy_getinfo(s->curl, CURLINFO_OS_ERRNO, &f.oserr);
	smtp_why(&f, out, len);
}

/* Turns one transaction's transcript and libcurl code into results for
 * recipients [first, first + n) and remembers the final reply. */
static void
judge(struct smtp_session *s, struct relay_msg *msg, size_t first, size_t n,
    CURLcode rc)
{
	struct smtp_outcome o = {
		.tr = &s->tr,
		.auth_missing = s->auth_missing,
		.read_failed = s->read_failed,
		.read_errno = s->read_errno,
		.classify = s->p.classify,
		.classify_arg = s->p.classify_arg,
	};

	o.why[0] = '\0';
	if (!s->auth_missing && !s->read_failed && rc != CURLE_OK)
		describe_curl(s, rc, o.why, sizeof(o.why));
	smtp_results(&o, msg, first, n);
	if (s->tr.dot.code != 0)
		snprintf(
		    s->last_reply, sizeof(s->last_reply), "%s", s->tr.dot.text);
}

/* Runs one transaction for recipients [first, first + n). */
static enum ms_status
transact(struct smtp_session *s, struct relay_msg *msg, size_t first, size_t n,
    curl_off_t size, struct ms_err *err)
{
	struct curl_slist *rcpts = NULL, *tmp;
	enum ms_status st = MS_OK;
	CURLcode rc = CURLE_OK;
	const char *from = msg->sender && *msg->sender ? msg->sender : "<>";
	bool retried_reuse = false, refreshed = false, want_refresh = false;

	for (size_t i = 0; i < n; i++) {
		tmp = curl_slist_append(rcpts, msg->rcpts[first + i].addr);
		if (tmp == NULL) {
			curl_slist_free_all(rcpts);
			return ms_err_set(err, MS_TEMP, "out of memory");
		}
		rcpts = tmp;
	}
	for (int attempt = 0; attempt < 3; attempt++) {
		bool reused;
		long newconn = 0;

		if (s->p.max_per_connection > 0 &&
		    s->on_conn >= s->p.max_per_connection)
			smtp_session_close(s);
		st = smtp_bearer_update(s, want_refresh, err);
		if (st != MS_OK) {
			/* No token: the relay's fault, the mail stays. */
			for (size_t i = 0; i < n; i++)
				smtp_rcpt_set(
				    &msg->rcpts[first + i], MS_TEMP, err->msg);
			msg->health = RELAY_FAILED;
			st = MS_OK;
			goto out;
		}
		want_refresh = false;
		st = smtp_handle_make(s, err);
		if (st != MS_OK)
			goto out;
		reused = s->on_conn > 0;
		s->src = msg->src;
		s->idle = msg->idle;
		s->idle_arg = msg->idle_arg;
		s->idle_stopped = false;
		s->read_failed = false;
		s->auth_missing = false;
		s->max_time_hit = false;
		s->quit_deadline_ms = 0;
		s->deadline_ms = s->p.max_time > 0
		    ? ms_monotonic_ms() + s->p.max_time * 1000
		    : 0;
		s->errbuf[0] = '\0';
		s->body_sent = 0;
		s->body_size = (long long)size;
		s->body_eof = false;
		msg_source_rewind(msg->src);
		smtp_transcript_begin(&s->tr);
		if (curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, NULL) ||
		    curl_easy_setopt(s->curl, CURLOPT_NOBODY, 0L) ||
		    curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, from) ||
		    curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpts) ||
		    curl_easy_setopt(s->curl, MS_OPT_RCPT_ALLOWFAILS, 1L) ||
		    curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L) ||
		    curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, size)) {
			st = ms_err_set(err, MS_TEMP,
			    "relay %s: libcurl "
			    "refused an SMTP option",
			    s->name);
			goto out;
		}
		rc = curl_easy_perform(s->curl);
		curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &newconn);
		if (newconn > 0) {
			s->nconn += newconn;
			s->on_conn = 0;
			reused = false;
		}
		set_peer(s, msg->peer, sizeof(msg->peer));
		if (rc == CURLE_OK) {
			s->on_conn++;
			break;
		}
		if (s->idle_stopped)
			break;
		if (!refreshed && smtp_bearer_refused(s, rc)) {
			log_msg(LOG_INFO,
			    "relay %s: the server refused the OAuth2 token; "
			    "fetching a new one",
			    s->name);
			refreshed = want_refresh = true;
			smtp_handle_drop(s);
			continue;
		}
		if (refreshed && smtp_bearer_refused(s, rc))
			log_msg(LOG_WARNING,
			    "relay %s: the server refused a freshly fetched "
			    "OAuth2 token as well (revoked consent, wrong "
			    "scope or mailbox?)",
			    s->name);
		if (!retried_reuse && reused && s->tr.mail.code / 100 != 2 &&
		    (s->tr.fail.code == 0 || s->tr.fail.code == 421) &&
		    !s->read_failed && !s->auth_missing) {
			log_msg(LOG_INFO,
			    "relay %s: reused connection was "
			    "closed by the server; reconnecting",
			    s->name);
			retried_reuse = true;
			smtp_handle_drop(s);
			continue;
		}
		break;
	}
	if (s->idle_stopped) {
		/* Abandoned before the body: the server has nothing, and the
		 * connection is in the middle of a transaction. */
		for (size_t i = 0; i < n; i++)
			smtp_rcpt_set(&msg->rcpts[first + i], MS_TEMP,
			    RELAY_REPLY_STOPPING);
		msg->abandoned = true;
		smtp_handle_drop(s);
		goto out;
	}
	judge(s, msg, first, n, rc);
	if (rc != CURLE_OK && s->p.bearer == NULL &&
	    (rc == CURLE_LOGIN_DENIED ||
		(s->tr.fail.stage == SMTP_STAGE_AUTH &&
		    s->tr.fail.code == 535)))
		s->auth_refused = true;
	if (rc != CURLE_OK)
		smtp_handle_drop(s);
out:
	s->src = NULL;
	s->idle = NULL;
	if (s->curl != NULL)
		curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpts);
	return st;
}

enum ms_status
smtp_session_send(
    struct smtp_session *s, struct relay_msg *msg, struct ms_err *err)
{
	size_t batch, i;
	off_t size;

	msg->health = RELAY_FINE;
	msg->hold_seconds = 0;
	msg->no_count = false;
	s->auth_refused = false;
	msg->peer[0] = '\0';
	msg->remote_id[0] = '\0';
	s->last_reply[0] = '\0';
	for (i = 0; i < msg->nrcpt; i++) {
		msg->rcpts[i].result = MS_TEMP;
		msg->rcpts[i].reply[0] = '\0';
	}
	if (msg->nrcpt == 0)
		return ms_err_set(err, MS_SOFTWARE,
		    "relay %s: message has no "
		    "recipients",
		    s->name);
	size = msg_source_size(msg->src);
	if (size < 0)
		return ms_err_set(err, MS_TEMP,
		    "relay %s: cannot read the "
		    "queued message: %s",
		    s->name, strerror(errno));
	batch = msg->nrcpt;
	if (s->p.max_recipients > 0)
		batch = (size_t)s->p.max_recipients;
	if (batch > SMTP_MAX_RCPT_REPLIES)
		batch = SMTP_MAX_RCPT_REPLIES;
	for (i = 0; i < msg->nrcpt; i += batch) {
		size_t n = msg->nrcpt - i < batch ? msg->nrcpt - i : batch;
		enum ms_status st;

		st = transact(s, msg, i, n, (curl_off_t)size, err);
		if (st != MS_OK || msg->abandoned)
			return st;
		if (msg->health == RELAY_FINE && i + n < msg->nrcpt &&
		    relay_committed(msg, i, n, err) != MS_OK) {
			char why[RELAY_REPLY_MAX];

			snprintf(why, sizeof(why), "not attempted: %.400s",
			    err->msg);
			for (size_t k = i + n; k < msg->nrcpt; k++)
				smtp_rcpt_set(&msg->rcpts[k], MS_TEMP, why);
			break;
		}
		if (msg->health != RELAY_FINE && i + n < msg->nrcpt) {
			/* The relay is failing: do not hammer it for the
			 * rest; they stay queued with the same reason. */
			for (size_t k = i + n; k < msg->nrcpt; k++)
				smtp_rcpt_set(&msg->rcpts[k], MS_TEMP,
				    msg->rcpts[i].reply);
			break;
		}
	}
	return MS_OK;
}

enum ms_status
smtp_session_probe(struct smtp_session *s, struct ms_err *err)
{
	enum ms_status st;
	CURLcode rc;
	long newconn = 0;
	char why[SMTP_TEXT_MAX];

	bool refresh = false;

again:
	/* A fresh connection: the probe checks the whole handshake. */
	smtp_session_close(s);
	st = smtp_bearer_update(s, refresh, err);
	if (st != MS_OK) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		return ms_err_set(err, st, "relay %s: %s", s->name, msg);
	}
	st = smtp_handle_make(s, err);
	if (st != MS_OK)
		return st;
	s->errbuf[0] = '\0';
	s->auth_missing = false;
	s->max_time_hit = false;
	s->quit_deadline_ms = 0;
	s->deadline_ms =
	    s->p.max_time > 0 ? ms_monotonic_ms() + s->p.max_time * 1000 : 0;
	s->src = NULL;
	smtp_transcript_begin(&s->tr);
	if (curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 0L) ||
	    curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL) ||
	    curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, "NOOP"))
		return ms_err_set(err, MS_TEMP,
		    "relay %s: libcurl refused an "
		    "option",
		    s->name);
	rc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &newconn);
	s->nconn += newconn;
	s->on_conn = 0;
	curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, NULL);
	if (rc != CURLE_OK)
		describe_curl(s, rc, why, sizeof(why));
	if (rc != CURLE_OK || smtp_reply_failing(&s->tr.fail))
		smtp_handle_drop(s);
	if (!refresh && smtp_bearer_refused(s, rc)) {
		refresh = true;
		goto again;
	}
	if (smtp_reply_failing(&s->tr.fail)) {
		struct smtp_reply *f = &s->tr.fail;

		return ms_err_set(err,
		    f->stage == SMTP_STAGE_AUTH && f->code >= 500 ? MS_CONFIG
								  : MS_TEMP,
		    "relay %s: %s refused: %s", s->name,
		    smtp_stage_name(f->stage), f->text);
	}
	if (rc != CURLE_OK) {
		return ms_err_set(err,
		    rc == CURLE_LOGIN_DENIED ? MS_CONFIG : MS_TEMP,
		    "relay %s: %s", s->name, why);
	}
	if (s->username != NULL && !s->tr.auth_sent)
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: the server offers "
		    "no AUTH although a username is configured",
		    s->name);
	return MS_OK;
}
