/*
 * smtp_session.c - an SMTP client session over libcurl: its parameters
 *                  (from the configuration), creation with our own copies
 *                  of them, what it tells its caller, and its end.
 *                  The rest of the session lives in smtp_callbacks.c
 *                  (what libcurl calls back), smtp_handle.c (the easy
 *                  handle: TLS, client certificate, proxy, AUTH and
 *                  XOAUTH2 options, closing and dropping the connection)
 *                  and smtp_transact.c (sending a message, probing).
 *
 * API:    smtp_params_from_conf(), smtp_session_new(),
 *         smtp_session_last_reply(), smtp_session_auth_refused(),
 *         smtp_session_connections(), smtp_session_free().  See
 *         smtp_session.h.
 * Trust:  the password, the client key (tls_key, a blob libcurl does not
 *         copy) and the XOAUTH2 token are copied here, handed to libcurl
 *         by smtp_handle.c and otherwise only wiped (here, on free).
 *         Host and tls_name are checked before they go into the URL.
 * Errors: smtp_session_new() returns MS_CONFIG or MS_TEMP with err set.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "log.h"
#include "smtp_priv.h"

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
	s->tr.log = smtp_log_line;
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
