/*
 * smtp_why.c - one line saying why a libcurl SMTP transfer failed:
 *              connect, TLS (a client certificate that is missing or
 *              refused), timeouts, lost connections, a refused XOAUTH2
 *              token (Google's error challenge decoded).
 *
 * API:    smtp_why().  Documented in smtp_why.h.
 * Trust:  libcurl's error buffer and the server's replies are quoted
 *         (ms_quote); nothing here sees a password, key or token.
 * Errors: none; there is always a sentence.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "smtp_why.h"

/* TLS alerts a server sends when it wants, or does not like, our client
 * certificate (with TLS 1.3 they arrive after the handshake, at the
 * first read). */
static bool
client_cert_alert(const char *eb)
{
	static const char *const alerts[] = { "alert certificate required",
		"alert unknown ca", "alert bad certificate",
		"alert certificate unknown", "alert certificate revoked",
		"alert certificate expired", "alert unsupported certificate",
		"alert access denied" };

	if (eb == NULL || *eb == '\0')
		return false;
	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (strstr(eb, alerts[i]) != NULL)
			return true;
	return false;
}

/* The server's answer to our XOAUTH2 token: a 535, or the error
 * challenge Google documents ("334 " base64 of {"status":"401",...}),
 * shown decoded. */
static void
bearer_reply(const struct smtp_transcript *tr, char *out, size_t len)
{
	const struct smtp_reply *r = &tr->last;
	unsigned char dec[SMTP_TEXT_MAX];
	const char *b64 = r->text + 4;
	size_t n = strlen(b64);
	int d;

	out[0] = '\0';
	if (r->stage != SMTP_STAGE_AUTH || r->code == 0)
		return;
	if (r->code != 334 || n == 0 || n % 4 != 0 || n >= sizeof(dec)) {
		ms_quote(out, len, r->text, strlen(r->text));
		return;
	}
	d = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)n);
	if (d < 0) {
		ms_quote(out, len, r->text, strlen(r->text));
		return;
	}
	while (d > 0 && n > 0 && b64[n - 1] == '=') {
		d--;
		n--;
	}
	snprintf(out, len, "334 ");
	ms_quote(out + 4, len - 4, (const char *)dec, (size_t)d);
}

void
smtp_why(const struct smtp_failure *f, char *out, size_t len)
{
	char eb[200];
	CURLcode rc = f->rc;
	long oserr = f->oserr;
	const char *stage = smtp_stage_name(f->tr->stage);
	bool in_data = f->tr->stage == SMTP_STAGE_DATA && f->tr->after_354;
	bool sending = in_data && f->body_short;
	char part[120];

	ms_quote(eb, sizeof(eb), f->errbuf, strlen(f->errbuf));
	if (*eb == '\0')
		snprintf(eb, sizeof(eb), "%s", curl_easy_strerror(rc));
	snprintf(part, sizeof(part),
	    "while sending the message (after %lld of %lld bytes)",
	    f->body_sent, f->body_size);
	if (f->tr->stage == SMTP_STAGE_BANNER && f->tr->last.code == 0)
		stage = "the greeting";
	if (f->max_time_hit) {
		snprintf(out, len,
		    "timed out: no result within max_time "
		    "(%ld s), at %s%s%s",
		    f->max_time, stage,
		    sending	  ? " "
			: in_data ? " after the message was sent"
				  : "",
		    sending ? part : "");
		return;
	}

	/* A server that asked for a client certificate and then hangs up
	 * before its first reply over TLS (or says so in an alert) did not
	 * take ours. */
	if (f->tls != TLS_NONE &&
	    (client_cert_alert(eb) || client_cert_alert(f->tls_alert) ||
		(f->cert_requested && f->tr->mail.code == 0 &&
		    (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
			rc == CURLE_GOT_NOTHING ||
			rc == CURLE_SSL_CONNECT_ERROR)))) {
		if (*f->tls_alert != '\0')
			snprintf(eb, sizeof(eb), "TLS alert: %s", f->tls_alert);
		if (f->tls_cert == NULL)
			snprintf(out, len,
			    "%s:%ld requires a TLS client certificate "
			    "(set tls_cert and tls_key); it closed the "
			    "connection at %s (%s)",
			    f->host, f->port, stage, eb);
		else
			snprintf(out, len,
			    "%s:%ld refused our TLS client certificate "
			    "%s; it closed the connection at %s (%s)",
			    f->host, f->port, f->tls_cert, stage, eb);
		return;
	}
	switch (rc) {
	case CURLE_SSL_CERTPROBLEM:
		snprintf(out, len,
		    "cannot use the client certificate %s with "
		    "its key: %s",
		    f->tls_cert ? f->tls_cert : "(none)", eb);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(out, len, "cannot resolve %s: %s", f->host, eb);
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		snprintf(out, len, "cannot resolve the proxy: %s", eb);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(out, len, "connect to %s:%ld failed: %s", f->host,
		    f->port, oserr != 0 ? strerror((int)oserr) : eb);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (sending)
			snprintf(out, len, "timed out %s (%s)", part, eb);
		else if (in_data)
			snprintf(out, len,
			    "timed out after the message was "
			    "sent, waiting for the server's reply (%s)",
			    eb);
		else
			snprintf(out, len, "timed out at %s with %s:%ld (%s)",
			    stage, f->host, f->port, eb);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(out, len, "TLS certificate not trusted: %s", eb);
		break;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(out, len, "cannot use CA file %s: %s",
		    f->ca_file ? f->ca_file : "(system)", eb);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(out, len, "TLS handshake with %s:%ld failed: %s",
		    f->host, f->port, eb);
		break;
	case CURLE_USE_SSL_FAILED:
		snprintf(out, len,
		    "server does not offer STARTTLS; refusing "
		    "to send without TLS (%s)",
		    eb);
		break;
	case CURLE_LOGIN_DENIED:
		if (f->xoauth2) {
			char r[300];

			bearer_reply(f->tr, r, sizeof(r));
			snprintf(out, len,
			    "the server refused the OAuth2 token "
			    "(XOAUTH2): %s",
			    *r ? r : eb);
		} else {
			snprintf(out, len, "authentication failed: %s", eb);
		}
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UPLOAD_FAILED:
		if (sending)
			snprintf(out, len, "connection lost %s (%s)", part, eb);
		else if (in_data)
			snprintf(out, len,
			    "connection lost after the message "
			    "was sent, before the server's reply (%s)",
			    eb);
		else
			snprintf(out, len,
			    "connection to %s:%ld lost at %s "
			    "(%s)",
			    f->host, f->port, stage, eb);
		break;
	default:
		snprintf(out, len, "%s at %s: %s", curl_easy_strerror(rc),
		    stage, eb);
		break;
	}
}
