/*
 * smtp_session.h - one SMTP client session over libcurl, reused across
 *                  messages: the engine of the smtp relay and of the SES
 *                  relay's SMTP transport.
 *
 * API:    smtp_session_new(), smtp_session_send(), smtp_session_probe(),
 *         smtp_session_auth_refused(), smtp_session_close(),
 *         smtp_session_free().  Implemented in smtp_session.c
 *         (parameters, new, free, getters), smtp_transact.c (send,
 *         probe) and smtp_handle.c (close), which share smtp_priv.h.
 * Trust:  params->password and params->tls_key are resolved secrets: they
 *         go to libcurl (the key as a blob libcurl does not copy) and
 *         nowhere else (never into errors, logs, peer or replies; the
 *         transcript's AUTH lines are dropped before they are kept).
 * Errors: see each function.
 */
#ifndef MS_SMTP_SESSION_H
#define MS_SMTP_SESSION_H

#include <stdbool.h>

#include "conf.h"
#include "relay.h"
#include "smtp_reply.h"

struct smtp_params {
	const char *name; /* relay name, for logs and peer */
	const char *host; /* where TCP goes (name or address) */
	long port;
	enum tls_mode tls; /* none, starttls (required), tls */
	bool tls_verify;
	const char *ca_file;	 /* extra trusted CA (PEM) or NULL */
	const char *tls_name;	 /* certificate name when it is not host
				    (SNI and verification use it; TCP goes
				    to host) or NULL */
	const char *tls_cert;	 /* client certificate (PEM path) or NULL */
	const char *tls_key;	 /* its key, resolved PEM (copied, wiped) */
	const char *username;	 /* NULL: no AUTH */
	const char *password;	 /* resolved secret (copied, wiped) */
	const char *helo;	 /* EHLO name */
	long connect_timeout;	 /* seconds, 0: libcurl's default */
	long timeout;		 /* seconds without progress / per reply */
	long max_time;		 /* seconds per transaction, 0: none */
	const char *proxy;	 /* http://, https://, socks5h:// or NULL */
	bool ipv6;		 /* false: IPv4 only */
	long max_per_connection; /* messages per connection, 0: no cap */
	long max_recipients;	 /* per transaction, 0: no cap */
	/* XOAUTH2 (with username): the bearer token, asked for before
	 * every transaction; refresh is set once after the server refused
	 * the last one (535, or 334 with an error). NULL: no XOAUTH2. The
	 * token is copied (wiped on free) and never shown. */
	enum ms_status (*bearer)(
	    void *arg, bool refresh, const char **token, struct ms_err *err);
	void *bearer_arg;
	/* Reply classifier; NULL means smtp_classify(). */
	smtp_classify_fn classify;
	void *classify_arg;
};

/* Fills p from a relay's configuration (host, port, tls, certificate
 * checks, client certificate path, username, EHLO name (default: the global
 * hostname), timeouts, proxy, ipv6, per-connection and per-transaction limits).
 * The password, the client key and the classifier are left for the caller. */
void smtp_params_from_conf(struct smtp_params *p, const struct relay_conf *rc,
    const struct ms_conf *global);

struct smtp_session;

/* Copies params (strings included); does not touch the network.
 * MS_OK, MS_CONFIG (bad host/helo), MS_TEMP (memory, libcurl init). */
enum ms_status smtp_session_new(struct smtp_session **out,
    const struct smtp_params *params, struct ms_err *err);

/* Sends msg to its recipients, reusing the open connection when there is
 * one (and reconnecting once, transparently, if a reused connection turns
 * out to be dead before MAIL FROM was accepted). Fills every recipient's
 * result and reply, msg->health, hold_seconds, no_count, peer and
 * remote_id (the text of the final reply after its code, e.g. "2.0.0 Ok:
 * queued as 4F2A9C01"). Returns MS_OK when results are set (even if all
 * failed); MS_TEMP/MS_SOFTWARE only when nothing could be attempted
 * (memory, a message source that cannot be read); err says why. */
enum ms_status smtp_session_send(
    struct smtp_session *s, struct relay_msg *msg, struct ms_err *err);

/* Connects, greets, STARTTLS, AUTH, then NOOP: sends no mail. MS_OK;
 * MS_TEMP with err saying what failed (connect, TLS, certificate, reply),
 * MS_CONFIG when the server refused our credentials (5xx to AUTH) or
 * offers no AUTH although a username is configured. */
enum ms_status smtp_session_probe(struct smtp_session *s, struct ms_err *err);

/* True when the last smtp_session_send ended because the server refused
 * our password (535 to AUTH, or libcurl's login denied; not XOAUTH2,
 * which refreshes its token itself). */
bool smtp_session_auth_refused(const struct smtp_session *s);

/* The last transaction's final reply ("250 2.0.0 Ok ...") or "". */
const char *smtp_session_last_reply(const struct smtp_session *s);

/* Number of TCP connections opened so far (tests, logs). */
long smtp_session_connections(const struct smtp_session *s);

/* Ends the connection (QUIT) if one is open; the next send reconnects. */
void smtp_session_close(struct smtp_session *s);

/* Closes and frees; wipes the password and key copies. s may be NULL. */
void smtp_session_free(struct smtp_session *s);

#endif
