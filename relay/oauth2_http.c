/*
 * oauth2_http.c - one POST to an OAuth 2.0 token endpoint (RFC 6749
 *                 section 5) over libcurl, and the check that its URL is
 *                 https or loopback.
 *
 * API:    oauth2_url_check(), oauth2_post().  Documented in oauth2.h.
 * Trust:  the body holds a client secret or a signed assertion and the
 *         reply a token: libcurl's verbose trace is never turned on, the
 *         reply buffer is bounded (OAUTH2_BODY_MAX) and wiped, and only
 *         the reply's "error" and "error_description" (quoted, at most
 *         200 bytes) reach an error. Redirects are not followed. The
 *         relay's proxy, when it has one, carries the request too.
 * Errors: MS_CONFIG for a URL we refuse or a refused grant (400, 401,
 *         403); MS_TEMP for everything that may pass.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "oauth2.h"

struct reply {
	char *buf;
	size_t len;
	bool toobig;
};

static size_t
write_cb(char *data, size_t size, size_t nitems, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nitems;

	if (r->len + n > OAUTH2_BODY_MAX) {
		r->toobig = true;
		return 0;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	return n;
}

/* A loopback address written as one (127.0.0.0/8, ::1), or "localhost";
 * never a name that merely starts like one ("127.0.0.1.example.com"). */
static bool
loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char h[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n >= 2 && n < sizeof(h) && host[0] == '[' && host[n - 1] == ']') {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		return inet_pton(AF_INET6, h, &a6) == 1 &&
		    IN6_IS_ADDR_LOOPBACK(&a6);
	}
	return false;
}

enum ms_status
oauth2_url_check(const char *url, struct ms_err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	char q[220];
	enum ms_status st = MS_OK;

	ms_quote(q, sizeof(q), url, strlen(url));
	if (u == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		st = ms_err_set(err, MS_CONFIG, "token URL %s is not a URL", q);
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0 &&
	    !(strcasecmp(scheme, "http") == 0 && loopback(host)))
		st = ms_err_set(err, MS_CONFIG,
		    "token URL %s must be https:// (http:// only on "
		    "loopback)",
		    q);
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return st;
}

/* "HTTP 400: invalid_scope: AADSTS70011: The provided ..." */
static void
describe_refusal(char *out, size_t len, long code, json_t *j)
{
	const char *e = json_string_value(json_object_get(j, "error"));
	const char *d =
	    json_string_value(json_object_get(j, "error_description"));
	char qe[100] = "", qd[220] = "";

	if (e != NULL)
		ms_quote(qe, sizeof(qe), e, strlen(e));
	if (d != NULL)
		ms_quote(qd, sizeof(qd), d, strlen(d));
	snprintf(out, len, "HTTP %ld%s%s%s%s", code, *qe ? ": " : "", qe,
	    *qd ? ": " : "", qd);
}

#define SET(opt, val)                                                          \
	do {                                                                   \
		if (curl_easy_setopt(h, opt, val) != CURLE_OK)                 \
			goto badopt;                                           \
	} while (0)

enum ms_status
oauth2_post(const struct oauth2_params *p, const char *url, const char *body,
    char **token, long *expires_in, struct ms_err *err)
{
	CURL *h = NULL;
	struct curl_slist *hdrs = NULL;
	struct reply r = { NULL, 0, false };
	char errbuf[CURL_ERROR_SIZE] = "", why[400], q[220], eb[220];
	json_t *j = NULL, *v;
	json_error_t jerr;
	const char *tok, *type;
	long code = 0;
	CURLcode rc;
	enum ms_status st;

	*token = NULL;
	*expires_in = 0;
	ms_quote(q, sizeof(q), url, strlen(url));
	st = oauth2_url_check(url, err);
	if (st != MS_OK)
		return st;
	r.buf = malloc(OAUTH2_BODY_MAX + 1);
	h = curl_easy_init();
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (r.buf == NULL || h == NULL || hdrs == NULL) {
		st = ms_err_set(err, MS_TEMP, "out of memory");
		goto out;
	}
	SET(CURLOPT_URL, url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "https,http");
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (p->ca_file != NULL) {
		SET(CURLOPT_CAINFO, p->ca_file);
		SET(CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	if (p->proxy != NULL) /* https goes through CONNECT */
		SET(CURLOPT_PROXY, p->proxy);
	if (p->connect_timeout > 0)
		SET(CURLOPT_CONNECTTIMEOUT, p->connect_timeout);
	SET(CURLOPT_TIMEOUT, p->timeout > 0 ? p->timeout : 60L);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_POSTFIELDS, body);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, &r);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		ms_quote(eb, sizeof(eb), *errbuf ? errbuf : "", strlen(errbuf));
		st = ms_err_set(err, MS_TEMP, "token endpoint %s: %s%s%s", q,
		    r.toobig ? "reply too large" : curl_easy_strerror(rc),
		    *eb ? ": " : "", eb);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	r.buf[r.len] = '\0';
	j = json_loadb(r.buf, r.len, 0, &jerr);
	if (code != 200) {
		describe_refusal(why, sizeof(why), code, j);
		st = ms_err_set(err,
		    code == 400 || code == 401 || code == 403 ? MS_CONFIG
							      : MS_TEMP,
		    "token endpoint %s refused the grant: %s", q, why);
		goto out;
	}
	tok = json_string_value(json_object_get(j, "access_token"));
	type = json_string_value(json_object_get(j, "token_type"));
	if (tok == NULL || *tok == '\0' || type == NULL ||
	    strcasecmp(type, "bearer") != 0) {
		st = ms_err_set(err, MS_TEMP,
		    "token endpoint %s: reply has no bearer access_token", q);
		goto out;
	}
	if (strlen(tok) > OAUTH2_TOKEN_MAX ||
	    strpbrk(tok, "\001\r\n ") != NULL) {
		st = ms_err_set(err, MS_TEMP,
		    "token endpoint %s: access_token is too long or holds "
		    "control characters",
		    q);
		goto out;
	}
	v = json_object_get(j, "expires_in");
	if (json_is_integer(v))
		*expires_in = (long)json_integer_value(v);
	else if (json_is_string(v)) /* some endpoints send "3599" */
		*expires_in = strtol(json_string_value(v), NULL, 10);
	*token = strdup(tok);
	if (*token == NULL)
		st = ms_err_set(err, MS_TEMP, "out of memory");
	goto out;
badopt:
	st = ms_err_set(
	    err, MS_TEMP, "libcurl refused an option (built without HTTPS?)");
out:
	json_decref(j);
	if (r.buf != NULL) {
		OPENSSL_cleanse(r.buf, r.len);
		free(r.buf);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return st;
}
