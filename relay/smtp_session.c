/*
 * smtp_session.c - an SMTP client session over libcurl: STARTTLS or
 *                  implicit TLS, AUTH, connection reuse, per-recipient
 *                  results read back from libcurl's protocol transcript.
 *
 * API:    smtp_session_new(), smtp_session_send(), smtp_session_probe(),
 *         smtp_session_last_reply(), smtp_session_connections(),
 *         smtp_session_close(), smtp_session_free().  See smtp_session.h.
 * Trust:  talks to the network; every reply goes through smtp_reply.c.
 *         The password is handed to libcurl and otherwise only wiped.
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
	long long deadline_ms;	    /* max_time ends (0: none) */
	long long quit_deadline_ms; /* stop waiting for QUIT's reply */
	bool max_time_hit;
	char last_reply[SMTP_TEXT_MAX];
};

static void drop_connection(struct smtp_session *s);

static char *
dup_opt(const char *s, bool *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*oom = true;
	return d;
}

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

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
	s->name = dup_opt(params->name ? params->name : params->host, &oom);
	s->host = dup_opt(params->host, &oom);
	s->ca_file = dup_opt(params->ca_file, &oom);
	s->tls_name = dup_opt(params->tls_name, &oom);
	s->username = dup_opt(params->username, &oom);
	s->helo = dup_opt(params->helo ? params->helo : "localhost", &oom);
	s->proxy = dup_opt(params->proxy, &oom);
	if (params->password != NULL) {
		s->password_len = strlen(params->password);
		s->password = dup_opt(params->password, &oom);
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
			s->quit_deadline_ms = now_ms() + QUIT_WAIT_MS;
		if (type == CURLINFO_HEADER_OUT &&
		    s->tr.pending == SMTP_STAGE_MAIL && s->username != NULL &&
		    !s->tr.auth_sent)
			s->auth_missing = true;
	} else if (type == CURLINFO_TEXT && log_get_verbose() > 1) {
		char q[256];

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
	long long now = now_ms();

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
	if (purpose == CURLSOCKTYPE_IPCXN)
		smtp_transcript_reset_connection(&s->tr);
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

/* What libcurl's error means, in one line, without secrets. */
static void
describe_curl(struct smtp_session *s, CURLcode rc, char *out, size_t len)
{
	char eb[200];
	long oserr = 0;
	const char *stage = smtp_stage_name(s->tr.stage);
	bool in_data = s->tr.stage == SMTP_STAGE_DATA && s->tr.after_354;

	ms_quote(eb, sizeof(eb), s->errbuf, strlen(s->errbuf));
	if (*eb == '\0')
		snprintf(eb, sizeof(eb), "%s", curl_easy_strerror(rc));
	curl_easy_getinfo(s->curl, CURLINFO_OS_ERRNO, &oserr);
	if (s->tr.stage == SMTP_STAGE_BANNER && s->tr.last.code == 0)
		stage = "the greeting";
	if (s->max_time_hit) {
		snprintf(out, len,
		    "timed out: no result within max_time "
		    "(%ld s), at %s%s",
		    s->p.max_time, stage,
		    in_data ? " after the message was sent" : "");
		return;
	}

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(out, len, "cannot resolve %s: %s", s->host, eb);
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		snprintf(out, len, "cannot resolve the proxy: %s", eb);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(out, len, "connect to %s:%ld failed: %s", s->host,
		    s->p.port, oserr != 0 ? strerror((int)oserr) : eb);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (in_data)
			snprintf(out, len,
			    "timed out after the message was "
			    "sent, waiting for the server's reply (%s)",
			    eb);
		else
			snprintf(out, len, "timed out at %s with %s:%ld (%s)",
			    stage, s->host, s->p.port, eb);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(out, len, "TLS certificate not trusted: %s", eb);
		break;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(out, len, "cannot use CA file %s: %s",
		    s->ca_file ? s->ca_file : "(system)", eb);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(out, len, "TLS handshake with %s:%ld failed: %s",
		    s->host, s->p.port, eb);
		break;
	case CURLE_USE_SSL_FAILED:
		snprintf(out, len,
		    "server does not offer STARTTLS; refusing "
		    "to send without TLS (%s)",
		    eb);
		break;
	case CURLE_LOGIN_DENIED:
		snprintf(out, len, "authentication failed: %s", eb);
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UPLOAD_FAILED:
		if (in_data)
			snprintf(out, len,
			    "connection lost after the message "
			    "was sent, before the server's reply (%s)",
			    eb);
		else
			snprintf(out, len,
			    "connection to %s:%ld lost at %s "
			    "(%s)",
			    s->host, s->p.port, stage, eb);
		break;
	default:
		snprintf(out, len, "%s at %s: %s", curl_easy_strerror(rc),
		    stage, eb);
		break;
	}
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

	for (size_t i = 0; i < n; i++) {
		tmp = curl_slist_append(rcpts, msg->rcpts[first + i].addr);
		if (tmp == NULL) {
			curl_slist_free_all(rcpts);
			return ms_err_set(err, MS_TEMP, "out of memory");
		}
		rcpts = tmp;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		bool reused;
		long newconn = 0;

		if (s->p.max_per_connection > 0 &&
		    s->on_conn >= s->p.max_per_connection)
			smtp_session_close(s);
		st = handle_make(s, err);
		if (st != MS_OK)
			goto out;
		reused = s->on_conn > 0;
		s->src = msg->src;
		s->read_failed = false;
		s->auth_missing = false;
		s->max_time_hit = false;
		s->quit_deadline_ms = 0;
		s->deadline_ms =
		    s->p.max_time > 0 ? now_ms() + s->p.max_time * 1000 : 0;
		s->errbuf[0] = '\0';
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
		if (attempt == 0 && reused && s->tr.mail.code / 100 != 2 &&
		    (s->tr.fail.code == 0 || s->tr.fail.code == 421) &&
		    !s->read_failed && !s->auth_missing) {
			log_msg(LOG_INFO,
			    "relay %s: reused connection was "
			    "closed by the server; reconnecting",
			    s->name);
			drop_connection(s);
			continue;
		}
		break;
	}
	judge(s, msg, first, n, rc);
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

	/* A fresh connection: the probe checks the whole handshake. */
	smtp_session_close(s);
	st = handle_make(s, err);
	if (st != MS_OK)
		return st;
	s->errbuf[0] = '\0';
	s->auth_missing = false;
	s->max_time_hit = false;
	s->quit_deadline_ms = 0;
	s->deadline_ms =
	    s->p.max_time > 0 ? now_ms() + s->p.max_time * 1000 : 0;
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
