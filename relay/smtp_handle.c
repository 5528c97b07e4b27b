/*
 * smtp_handle.c - a session's libcurl easy handle and the connection it
 *                 holds: the options set once per handle (URL and
 *                 protocols, STARTTLS or implicit TLS, certificate
 *                 checks, client certificate, timeouts, IPv4, proxy,
 *                 AUTH and XOAUTH2), the XOAUTH2 token given anew when
 *                 it changes, and the end of the connection: closed with
 *                 QUIT, or dropped after a failure.
 *
 * API:    smtp_handle_make(), smtp_handle_drop(), smtp_bearer_update(),
 *         smtp_bearer_refused() (smtp_priv.h); smtp_session_close()
 *         (smtp_session.h).
 * Trust:  the password, the client key (a blob libcurl does not copy)
 *         and the XOAUTH2 token are handed to libcurl and nowhere else.
 *         STARTTLS is required when configured (CURLUSESSL_ALL): a
 *         server that does not offer it is a failure, never a silent
 *         downgrade.
 * Errors: MS_TEMP when libcurl cannot make the handle or refuses an
 *         option; a token source's own status when it has no token.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "smtp_priv.h"

/* Creates the easy handle with everything that does not change between
 * transactions. */
enum ms_status
smtp_handle_make(struct smtp_session *s, struct ms_err *err)
{
	if (s->curl != NULL)
		return MS_OK;
	s->curl = curl_easy_init();
	if (s->curl == NULL)
		return ms_err_set(err, MS_TEMP,
		    "relay %s: cannot create a "
		    "libcurl handle",
		    s->name);
	s->on_conn = 0;
	SMTP_SETOPT(CURLOPT_URL, s->url);
	SMTP_SETOPT(CURLOPT_NOSIGNAL, 1L);
	SMTP_SETOPT(CURLOPT_ERRORBUFFER, s->errbuf);
	if (!smtp_callbacks_install(s))
		goto fail;
#if LIBCURL_VERSION_NUM >= 0x075500
	SMTP_SETOPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#endif
	if (s->connect_to_list != NULL)
		SMTP_SETOPT(CURLOPT_CONNECT_TO, s->connect_to_list);
	SMTP_SETOPT(CURLOPT_USE_SSL,
	    s->p.tls == TLS_NONE ? (long)CURLUSESSL_NONE
				 : (long)CURLUSESSL_ALL);
	SMTP_SETOPT(CURLOPT_SSL_VERIFYPEER, s->p.tls_verify ? 1L : 0L);
	SMTP_SETOPT(CURLOPT_SSL_VERIFYHOST, s->p.tls_verify ? 2L : 0L);
	if (s->ca_file != NULL) {
		SMTP_SETOPT(CURLOPT_CAINFO, s->ca_file);
		/* keep the system store as well */
		SMTP_SETOPT(CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	if (s->tls_cert != NULL && s->tls_key != NULL) {
		struct curl_blob key = { s->tls_key, s->tls_key_len,
			CURL_BLOB_NOCOPY };

		SMTP_SETOPT(CURLOPT_SSLCERT, s->tls_cert);
		SMTP_SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
		SMTP_SETOPT(CURLOPT_SSLKEY_BLOB, &key);
		SMTP_SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (s->p.connect_timeout > 0)
		SMTP_SETOPT(CURLOPT_CONNECTTIMEOUT, s->p.connect_timeout);
	if (s->p.timeout > 0) {
		SMTP_SETOPT(CURLOPT_SERVER_RESPONSE_TIMEOUT, s->p.timeout);
		SMTP_SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
		SMTP_SETOPT(CURLOPT_LOW_SPEED_TIME, s->p.timeout);
	}
	if (s->p.max_time > 0)
		SMTP_SETOPT(CURLOPT_TIMEOUT, s->p.max_time);
	if (!s->p.ipv6)
		SMTP_SETOPT(CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
	if (s->proxy != NULL) {
		SMTP_SETOPT(CURLOPT_PROXY, s->proxy);
		if (strncmp(s->proxy, "http://", 7) == 0 ||
		    strncmp(s->proxy, "https://", 8) == 0)
			SMTP_SETOPT(CURLOPT_HTTPPROXYTUNNEL, 1L);
	}
	if (s->username != NULL) {
		SMTP_SETOPT(CURLOPT_USERNAME, s->username);
		if (s->password != NULL)
			SMTP_SETOPT(CURLOPT_PASSWORD, s->password);
		if (s->p.bearer != NULL)
			SMTP_SETOPT(CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
		if (s->bearer_tok != NULL)
			SMTP_SETOPT(CURLOPT_XOAUTH2_BEARER, s->bearer_tok);
	}
	return MS_OK;
fail:
	curl_easy_cleanup(s->curl);
	s->curl = NULL;
	return ms_err_set(err, MS_TEMP,
	    "relay %s: libcurl refused an option "
	    "(built without SMTP or TLS support?)",
	    s->name);
}

/* Gives libcurl the current XOAUTH2 token (a new one when refresh). A
 * changed token makes libcurl open a new connection, which then
 * authenticates with it. */
enum ms_status
smtp_bearer_update(struct smtp_session *s, bool refresh, struct ms_err *err)
{
	const char *tok = NULL;
	enum ms_status st;
	char why[sizeof(err->msg)];

	if (s->p.bearer == NULL)
		return MS_OK;
	st = s->p.bearer(s->p.bearer_arg, refresh, &tok, err);
	if (st != MS_OK) {
		snprintf(why, sizeof(why), "%s", err->msg);
		return ms_err_set(err, st, "no OAuth2 token: %s", why);
	}
	if (s->bearer_tok != NULL && strcmp(s->bearer_tok, tok) == 0)
		return MS_OK;
	if (s->bearer_tok != NULL) {
		explicit_bzero(s->bearer_tok, strlen(s->bearer_tok));
		free(s->bearer_tok);
	}
	s->bearer_tok = strdup(tok);
	if (s->bearer_tok == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	if (s->curl != NULL &&
	    curl_easy_setopt(s->curl, CURLOPT_XOAUTH2_BEARER, s->bearer_tok) !=
		CURLE_OK)
		return ms_err_set(err, MS_TEMP, "libcurl refused the token");
	return MS_OK;
}

/* The server refused our XOAUTH2 token (535, or its 334 error
 * challenge, which libcurl answers and then reports as login denied). */
bool
smtp_bearer_refused(const struct smtp_session *s, CURLcode rc)
{
	return s->p.bearer != NULL &&
	    (rc == CURLE_LOGIN_DENIED ||
		(s->tr.fail.stage == SMTP_STAGE_AUTH &&
		    (s->tr.fail.code == 535 || s->tr.fail.code == 334)));
}

/* Throws the connection away after a failure, without the QUIT dance: a
 * connection that failed may still owe a reply (a timed-out end of
 * DATA), which must never be read as the next command's, and a hung
 * server must not cost another timeout. */
void
smtp_handle_drop(struct smtp_session *s)
{
	curl_socket_t fd = CURL_SOCKET_BAD;

	if (s->curl == NULL)
		return;
	if (curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &fd) ==
		CURLE_OK &&
	    fd != CURL_SOCKET_BAD)
		shutdown(fd, SHUT_RDWR);
	smtp_session_close(s);
}

void
smtp_session_close(struct smtp_session *s)
{
	if (s == NULL || s->curl == NULL)
		return;
	curl_easy_cleanup(s->curl); /* sends QUIT on a live connection */
	s->curl = NULL;
	s->on_conn = 0;
	smtp_transcript_reset_connection(&s->tr);
}
