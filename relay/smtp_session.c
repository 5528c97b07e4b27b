/*
 * smtp_session.c - an SMTP client session over libcurl: STARTTLS or
 *                  implicit TLS, AUTH, connection reuse, per-recipient
 *                  results read back from libcurl's protocol transcript.
 *
 * API:    smtp_session_new(), smtp_session_send(), smtp_session_probe(),
 *         smtp_session_last_reply(), smtp_session_auth_refused(),
 *         smtp_session_connections(),
 *         smtp_session_close(), smtp_session_free().  See smtp_session.h.
 * Trust:  talks to the network; every reply goes through smtp_reply.c.
 *         The password, the client key (tls_key, a blob libcurl does not
 *         copy) and the XOAUTH2 token are handed to libcurl and otherwise
 *         only wiped; the AUTH exchange is hidden from the transcript.
 *         A token the server refuses is replaced once per transaction.
 *         STARTTLS is required when configured (CURLUSESSL_ALL): a server
 *         that does not offer it is a failure, never a silent downgrade.
 * Errors: delivery outcomes are per-recipient results; the function
 *         status is MS_OK unless nothing could be attempted.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"
#include "smtp_results.h"
#include "smtp_session.h"
#include "smtp_why.h"

#if LIBCURL_VERSION_NUM >= 0x080200
#define MS_OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define MS_OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

struct smtp_session {
	struct smtp_params p; /* strings below are our copies */
	char *name, *host, *ca_file, *tls_name, *username, *helo, *proxy;
	char *password;
	size_t password_len;
	char *bearer_tok; /* the token libcurl was given (a copy, wiped) */
	char *tls_cert;
	char *tls_key; /* PEM, handed to libcurl without a copy */
	size_t tls_key_len;
	char url[1024];
	char connect_to[1024];
	struct curl_slist *connect_to_list;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	struct smtp_transcript tr;
	long nconn;   /* connections opened so far */
	long on_conn; /* transactions done on this connection */
	/* per transaction */
	struct msg_source *src;
	bool read_failed;
	int read_errno;
	bool auth_missing;	    /* MAIL went out without AUTH */
	bool auth_refused;	    /* the password was refused (535) */
	long long body_sent;	    /* bytes handed to libcurl so far */
	long long body_size;	    /* of the message */
	bool body_eof;		    /* the read callback reached the end */
	long long deadline_ms;	    /* max_time ends (0: none) */
	long long quit_deadline_ms; /* stop waiting for QUIT's reply */
	bool max_time_hit;
	bool cert_requested; /* the server asked for a client certificate
				on this connection */
	char tls_alert[96];  /* the last TLS alert it sent us, or "" */
	char last_reply[SMTP_TEXT_MAX];
};

static void drop_connection(struct smtp_session *s);

/* Host part of a URL: IPv6 literals need brackets. */
static void
url_host(char *out, size_t outlen, const char *host)
{
	if (strchr(host, ':') != NULL && host[0] != '[')
		snprintf(out, outlen, "[%s]", host);
	else
		snprintf(out, outlen, "%s", host);
}

static bool
host_ok(const char *h)
{
	if (h == NULL || *h == '\0' || strlen(h) > 253)
		return false;
	for (const char *c = h; *c; c++)
		if (!isalnum((unsigned char)*c) && strchr(".-_:[]", *c) == NULL)
			return false;
	return true;
}

#define QUIT_WAIT_MS 1000

static void
log_hook(char dir, const char *line, void *arg)
{
	struct smtp_session *s = arg;

	if (log_get_verbose() > 0)
		log_verbose("%s: %c %s", s->name, dir, line);
}

void
smtp_params_from_conf(struct smtp_params *p, const struct relay_conf *rc,
    const struct ms_conf *global)
{
	memset(p, 0, sizeof(*p));
	p->name = rc->name;
	p->host = rc->host;
	p->port = rc->port;
	p->tls = rc->tls;
	p->tls_verify = rc->tls_verify;
	p->ca_file = rc->ca_file;
	p->tls_name = rc->tls_name;
	p->tls_cert = rc->tls_cert;
	p->username = rc->username;
	p->helo = rc->helo != NULL			 ? rc->helo
	    : global != NULL && global->hostname != NULL ? global->hostname
							 : "localhost";
	p->connect_timeout = rc->connect_timeout;
	p->timeout = rc->timeout;
	p->max_time = rc->max_time;
	p->proxy = rc->proxy;
	p->ipv6 = rc->ipv6;
	p->max_per_connection = rc->max_per_connection;
	p->max_recipients = rc->max_recipients;
}

enum ms_status
smtp_session_new(struct smtp_session **out, const struct smtp_params *params,
    struct ms_err *err)
{
	struct smtp_session *s;
	bool oom = false;
	char uh[300], hh[300], helo[600];
	size_t hl = 0;
	int n;

	*out = NULL;
	if (!host_ok(params->host))
		return ms_err_set(err, MS_CONFIG, "relay %s: bad host name",
		    params->name ? params->name : "?");
	if (params->tls_name != NULL && !host_ok(params->tls_name))
		return ms_err_set(err, MS_CONFIG, "relay %s: bad tls_name",
		    params->name ? params->name : "?");
	if (params->port <= 0 || params->port > 65535)
		return ms_err_set(err, MS_CONFIG, "relay %s: bad port %ld",
		    params->name ? params->name : "?", params->port);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ms_err_set(err, MS_TEMP, "cannot initialise libcurl");
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		curl_global_cleanup();
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	s->p = *params;
	s->name =
	    ms_strdup_opt(params->name ? params->name : params->host, &oom);
	s->host = ms_strdup_opt(params->host, &oom);
	s->ca_file = ms_strdup_opt(params->ca_file, &oom);
	s->tls_name = ms_strdup_opt(params->tls_name, &oom);
	s->username = ms_strdup_opt(params->username, &oom);
	s->helo =
	    ms_strdup_opt(params->helo ? params->helo : "localhost", &oom);
	s->proxy = ms_strdup_opt(params->proxy, &oom);
	if (params->password != NULL) {
		s->password_len = strlen(params->password);
		s->password = ms_strdup_opt(params->password, &oom);
	}
	s->tls_cert = ms_strdup_opt(params->tls_cert, &oom);
	if (params->tls_key != NULL) {
		s->tls_key_len = strlen(params->tls_key);
		s->tls_key = ms_strdup_opt(params->tls_key, &oom);
	}
	if (oom) {
		smtp_session_free(s);
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	s->p.name = s->name;
	s->p.host = s->host;
	s->p.ca_file = s->ca_file;
	s->p.tls_name = s->tls_name;
	s->p.username = s->username;
	s->p.password = NULL; /* only s->password holds it */
	s->p.tls_cert = s->tls_cert;
	s->p.tls_key = NULL; /* only s->tls_key holds it */
	s->p.helo = s->helo;
	s->p.proxy = s->proxy;
	if (s->p.classify == NULL)
		s->p.classify = smtp_classify;

	/* The EHLO name is the URL path, percent-encoded. */
	for (const char *c = s->helo; *c && hl + 4 < sizeof(helo); c++) {
		if (isalnum((unsigned char)*c) || *c == '.' || *c == '-')
			helo[hl++] = *c;
		else
			hl += (size_t)snprintf(helo + hl, sizeof(helo) - hl,
			    "%%%02X", (unsigned char)*c);
	}
	helo[hl] = '\0';
	url_host(uh, sizeof(uh), s->tls_name ? s->tls_name : s->host);
	n = snprintf(s->url, sizeof(s->url), "%s://%s:%ld/%s",
	    s->p.tls == TLS_IMPLICIT ? "smtps" : "smtp", uh, s->p.port, helo);
	if (n < 0 || (size_t)n >= sizeof(s->url)) {
		smtp_session_free(s);
		return ms_err_set(
		    err, MS_CONFIG, "relay %s: URL too long", params->name);
	}
	if (s->tls_name != NULL) {
		url_host(hh, sizeof(hh), s->host);
		snprintf(s->connect_to, sizeof(s->connect_to), "%s:%ld:%s:%ld",
		    uh, s->p.port, hh, s->p.port);
		s->connect_to_list = curl_slist_append(NULL, s->connect_to);
		if (s->connect_to_list == NULL) {
			smtp_session_free(s);
			return ms_err_set(err, MS_TEMP, "out of memory");
		}
	}
	smtp_transcript_init(&s->tr);
	s->tr.log = log_hook;
	s->tr.log_arg = s;
	if (s->p.tls != TLS_NONE && !s->p.tls_verify)
		log_msg(LOG_WARNING,
		    "relay %s: TLS certificate verification "
		    "is OFF (tls_verify = false); anyone on the path can read "
		    "and change this relay's mail",
		    s->name);
	*out = s;
	return MS_OK;
}

static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct smtp_session *s = arg;

	(void)h;
	if (type == CURLINFO_HEADER_IN || type == CURLINFO_HEADER_OUT) {
		smtp_transcript_feed(
		    &s->tr, type == CURLINFO_HEADER_IN, data, size);
		/* libcurl sends QUIT on a connection it closes after an
		 * error and waits for the reply as long as for any other:
		 * a hung server would cost a second full timeout. */
		if (type == CURLINFO_HEADER_OUT && size >= 4 &&
		    strncmp(data, "QUIT", 4) == 0)
			s->quit_deadline_ms = ms_monotonic_ms() + QUIT_WAIT_MS;
		if (type == CURLINFO_HEADER_OUT &&
		    s->tr.pending == SMTP_STAGE_MAIL && s->username != NULL &&
		    !s->tr.auth_sent)
			s->auth_missing = true;
	} else if (type == CURLINFO_TEXT) {
		char q[256];
		const char *a;

		/* libcurl's TLS trace: "TLSv1.3 (IN), TLS handshake,
		 * Request CERT (13):", "TLSv1.3 (IN), TLS alert, unknown CA
		 * (560):". */
		if (size > 0 && memmem(data, size, "Request CERT", 12) != NULL)
			s->cert_requested = true;
		if (size > 0 && memmem(data, size, "(IN), TLS alert", 15) &&
		    (a = memmem(data, size, "alert, ", 7)) != NULL)
			ms_quote(s->tls_alert, sizeof(s->tls_alert), a + 7,
			    (size_t)(data + size - (a + 7)) -
				(data[size - 1] == '\n' ? 1 : 0));
		if (log_get_verbose() <= 1)
			return 0;

		ms_quote(q, sizeof(q), data,
		    size > 0 && data[size - 1] == '\n' ? size - 1 : size);
		log_verbose("%s: * %s", s->name, q);
	}
	return 0;
}

/* Called by libcurl at least once a second while it waits (blocking
 * pingpong waits included, which CURLOPT_TIMEOUT does not cover after
 * the body is sent). Non-zero aborts the transfer. */
static int
progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct smtp_session *s = arg;
	long long now = ms_monotonic_ms();

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (s->quit_deadline_ms != 0 && now > s->quit_deadline_ms)
		return 1;
	if (s->deadline_ms != 0 && now > s->deadline_ms) {
		s->max_time_hit = true;
		return 1;
	}
	return 0;
}

static int
sockopt_cb(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	struct smtp_session *s = arg;

	(void)fd;
	if (purpose == CURLSOCKTYPE_IPCXN) {
		smtp_transcript_reset_connection(&s->tr);
		s->cert_requested = false;
		s->tls_alert[0] = '\0';
	}
	return CURL_SOCKOPT_OK;
}

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct smtp_session *s = arg;
	ssize_t n;

	if (s->auth_missing || s->src == NULL)
		return CURL_READFUNC_ABORT;
	n = msg_source_read(s->src, buf, size * nitems);
	if (n < 0) {
		s->read_failed = true;
		s->read_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	if (n == 0)
		s->body_eof = true;
	s->body_sent += n;
	return (size_t)n;
}

static size_t
discard_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	(void)buf;
	(void)arg;
	return size * nitems;
}

#define SETOPT(opt, val)                                                       \
	do {                                                                   \
		if (curl_easy_setopt(s->curl, opt, val) != CURLE_OK)           \
			goto fail;                                             \
	} while (0)

/* Creates the easy handle with everything that does not change between
 * transactions. */
static enum ms_status
handle_make(struct smtp_session *s, struct ms_err *err)
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
	SETOPT(CURLOPT_URL, s->url);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, s->errbuf);
	SETOPT(CURLOPT_VERBOSE, 1L);
	SETOPT(CURLOPT_DEBUGFUNCTION, debug_cb);
	SETOPT(CURLOPT_DEBUGDATA, s);
	SETOPT(CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	SETOPT(CURLOPT_SOCKOPTDATA, s);
	SETOPT(CURLOPT_READFUNCTION, read_cb);
	SETOPT(CURLOPT_READDATA, s);
	SETOPT(CURLOPT_WRITEFUNCTION, discard_cb);
	SETOPT(CURLOPT_WRITEDATA, s);
	SETOPT(CURLOPT_NOPROGRESS, 0L);
	SETOPT(CURLOPT_XFERINFOFUNCTION, progress_cb);
	SETOPT(CURLOPT_XFERINFODATA, s);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#endif
	if (s->connect_to_list != NULL)
		SETOPT(CURLOPT_CONNECT_TO, s->connect_to_list);
	SETOPT(CURLOPT_USE_SSL,
	    s->p.tls == TLS_NONE ? (long)CURLUSESSL_NONE
				 : (long)CURLUSESSL_ALL);
	SETOPT(CURLOPT_SSL_VERIFYPEER, s->p.tls_verify ? 1L : 0L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, s->p.tls_verify ? 2L : 0L);
	if (s->ca_file != NULL) {
		SETOPT(CURLOPT_CAINFO, s->ca_file);
		/* keep the system store as well */
		SETOPT(CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	if (s->tls_cert != NULL && s->tls_key != NULL) {
		struct curl_blob key = { s->tls_key, s->tls_key_len,
			CURL_BLOB_NOCOPY };

		SETOPT(CURLOPT_SSLCERT, s->tls_cert);
		SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
		SETOPT(CURLOPT_SSLKEY_BLOB, &key);
		SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (s->p.connect_timeout > 0)
		SETOPT(CURLOPT_CONNECTTIMEOUT, s->p.connect_timeout);
	if (s->p.timeout > 0) {
		SETOPT(CURLOPT_SERVER_RESPONSE_TIMEOUT, s->p.timeout);
		SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
		SETOPT(CURLOPT_LOW_SPEED_TIME, s->p.timeout);
	}
	if (s->p.max_time > 0)
		SETOPT(CURLOPT_TIMEOUT, s->p.max_time);
	if (!s->p.ipv6)
		SETOPT(CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
	if (s->proxy != NULL) {
		SETOPT(CURLOPT_PROXY, s->proxy);
		if (strncmp(s->proxy, "http://", 7) == 0 ||
		    strncmp(s->proxy, "https://", 8) == 0)
			SETOPT(CURLOPT_HTTPPROXYTUNNEL, 1L);
	}
	if (s->username != NULL) {
		SETOPT(CURLOPT_USERNAME, s->username);
		if (s->password != NULL)
			SETOPT(CURLOPT_PASSWORD, s->password);
		if (s->p.bearer != NULL)
			SETOPT(CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
		if (s->bearer_tok != NULL)
			SETOPT(CURLOPT_XOAUTH2_BEARER, s->bearer_tok);
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

/* Gives libcurl the current XOAUTH2 token (a new one when refresh). A
 * changed token makes libcurl open a new connection, which then
 * authenticates with it. */
static enum ms_status
bearer_update(struct smtp_session *s, bool refresh, struct ms_err *err)
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
static bool
bearer_refused(const struct smtp_session *s, CURLcode rc)
{
	return s->p.bearer != NULL &&
	    (rc == CURLE_LOGIN_DENIED ||
		(s->tr.fail.stage == SMTP_STAGE_AUTH &&
		    (s->tr.fail.code == 535 || s->tr.fail.code == 334)));
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
		st = bearer_update(s, want_refresh, err);
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
		st = handle_make(s, err);
		if (st != MS_OK)
			goto out;
		reused = s->on_conn > 0;
		s->src = msg->src;
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
		if (!refreshed && bearer_refused(s, rc)) {
			log_msg(LOG_INFO,
			    "relay %s: the server refused the OAuth2 token; "
			    "fetching a new one",
			    s->name);
			refreshed = want_refresh = true;
			drop_connection(s);
			continue;
		}
		if (refreshed && bearer_refused(s, rc))
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
			drop_connection(s);
			continue;
		}
		break;
	}
	judge(s, msg, first, n, rc);
	if (rc != CURLE_OK && s->p.bearer == NULL &&
	    (rc == CURLE_LOGIN_DENIED ||
		(s->tr.fail.stage == SMTP_STAGE_AUTH &&
		    s->tr.fail.code == 535)))
		s->auth_refused = true;
	if (rc != CURLE_OK)
		drop_connection(s);
out:
	s->src = NULL;
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
		if (st != MS_OK)
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
	st = bearer_update(s, refresh, err);
	if (st != MS_OK) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		return ms_err_set(err, st, "relay %s: %s", s->name, msg);
	}
	st = handle_make(s, err);
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
		drop_connection(s);
	if (!refresh && bearer_refused(s, rc)) {
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

bool
smtp_session_auth_refused(const struct smtp_session *s)
{
	return s != NULL && s->auth_refused;
}

const char *
smtp_session_last_reply(const struct smtp_session *s)
{
	return s->last_reply;
}

long
smtp_session_connections(const struct smtp_session *s)
{
	return s != NULL ? s->nconn : 0;
}

/* Throws the connection away after a failure, without the QUIT dance: a
 * connection that failed may still owe a reply (a timed-out end of
 * DATA), which must never be read as the next command's, and a hung
 * server must not cost another timeout. */
static void
drop_connection(struct smtp_session *s)
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

void
smtp_session_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	smtp_session_close(s);
	smtp_transcript_free(&s->tr);
	curl_slist_free_all(s->connect_to_list);
	if (s->password != NULL) {
		explicit_bzero(s->password, s->password_len);
		free(s->password);
	}
	if (s->bearer_tok != NULL) {
		explicit_bzero(s->bearer_tok, strlen(s->bearer_tok));
		free(s->bearer_tok);
	}
	if (s->tls_key != NULL) {
		explicit_bzero(s->tls_key, s->tls_key_len);
		free(s->tls_key);
	}
	free(s->tls_cert);
	free(s->name);
	free(s->host);
	free(s->ca_file);
	free(s->tls_name);
	free(s->username);
	free(s->helo);
	free(s->proxy);
	free(s);
	curl_global_cleanup();
}
