/*
 * aws_request.c - one HTTP request to AWS through libcurl (signed with
 *                 libcurl's SigV4, or plain for metadata endpoints).
 *
 * API:    aws_request(), aws_http_plain(), aws_resp_free(), aws_endpoint(),
 *         aws_endpoint_fips(), aws_use_fips(), aws_dns_suffix(),
 *         aws_url_host().  Documented in aws_request.h.
 * Trust:  flusher only; reads AWS_CA_BUNDLE, AWS_ENDPOINT_URL* and
 *         AWS_USE_FIPS_ENDPOINT. Never
 *         logs credentials, bodies or signed headers.
 * Errors: returns an ms_status; the reason goes into the caller's ms_err.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws_request.h"
#include "log.h"

/* One connection cache per process, shared by every request's handle, so
 * that consecutive calls to one endpoint (a SendEmail per message) reuse
 * its TCP and TLS connection instead of a handshake each. Per process:
 * `flush --workers N` forks, and two processes must never talk on one
 * TLS connection, so a child that inherits the parent's cache leaves it
 * alone (no cleanup: that would shut the parent's sessions down) and
 * makes its own. No locks: a process makes one request at a time. */
static CURLSH *
conn_share(void)
{
	static CURLSH *share;
	static pid_t owner;

	if (share != NULL && owner == getpid())
		return share;
	share = curl_share_init();
	owner = getpid();
	if (share != NULL &&
	    (curl_share_setopt(share, CURLSHOPT_SHARE,
		 CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
		curl_share_setopt(share, CURLSHOPT_SHARE,
		    CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
		curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) !=
		    CURLSHE_OK)) {
		curl_share_cleanup(share);
		share =
		    NULL; /* each request on its own connection, as before */
	}
	return share;
}

struct sink {
	struct aws_http_resp *resp;
	size_t cap;
	size_t max;
	bool too_big;
};

static size_t
body_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	struct aws_http_resp *r = s->resp;
	size_t n = size * nmemb;

	if (n > s->max - r->body_len) {
		s->too_big = true;
		return 0;
	}
	if (r->body_len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *p;

		while (cap < r->body_len + n + 1)
			cap *= 2;
		if ((p = realloc(r->body, cap)) == NULL)
			return 0;
		r->body = p;
		s->cap = cap;
	}
	memcpy(r->body + r->body_len, ptr, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

/* Copies a header's value when its name matches (case-insensitive). */
static void
header_take(const char *line, size_t len, const char *name, char *out,
    size_t outlen, bool cut_colon)
{
	size_t nl = strlen(name), i, n = 0;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	i = nl + 1;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (
	    i < len && line[i] != '\r' && line[i] != '\n' && n + 1 < outlen) {
		if (cut_colon && line[i] == ':')
			break;
		out[n++] = line[i++];
	}
	out[n] = '\0';
}

static size_t
header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct aws_http_resp *r = userdata;
	size_t n = size * nmemb;

	header_take(ptr, n, "x-amzn-ErrorType", r->error_type,
	    sizeof(r->error_type), true);
	header_take(ptr, n, "x-amzn-RequestId", r->request_id,
	    sizeof(r->request_id), false);
	return n;
}

static enum ms_status
perform(const struct aws_http_req *req, const struct aws_creds *creds,
    struct aws_http_resp *resp, struct ms_err *err)
{
	CURL *h = NULL;
	CURLSH *share;
	struct curl_slist *hdrs = NULL, *tmp;
	struct sink sink = { resp, 0,
		req->resp_max > 0 ? req->resp_max : AWS_RESP_MAX, false };
	char ebuf[CURL_ERROR_SIZE] = "", line[4096], sigv4[160], q[256];
	const char *ca;
	enum ms_status st = MS_TEMP;
	CURLcode rc;
	int n;

	memset(resp, 0, sizeof(*resp));
	if (req->url == NULL ||
	    (strncmp(req->url, "https://", 8) != 0 &&
		strncmp(req->url, "http://", 7) != 0))
		return ms_err_set(err, MS_CONFIG, "aws: bad URL %s",
		    ms_quote(q, sizeof(q), req->url ? req->url : "(none)",
			req->url ? strlen(req->url) : 6));
	if ((h = curl_easy_init()) == NULL) {
		ms_err_set(err, MS_TEMP, "aws: cannot initialise libcurl");
		goto out;
	}
#define ADD_HDR(text)                                                          \
	do {                                                                   \
		if ((tmp = curl_slist_append(hdrs, (text))) == NULL)           \
			goto nomem;                                            \
		hdrs = tmp;                                                    \
	} while (0)

	curl_easy_setopt(h, CURLOPT_URL, req->url);
	if ((share = conn_share()) != NULL)
		curl_easy_setopt(h, CURLOPT_SHARE, share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "mailshim/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
	    req->connect_timeout > 0 ? req->connect_timeout : 10L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(
	    h, CURLOPT_LOW_SPEED_TIME, req->timeout > 0 ? req->timeout : 30L);
	if (req->max_time > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, req->max_time);
	if (req->timeout_ms > 0) {
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
	}
	if (req->no_proxy)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	else if (req->proxy != NULL && req->proxy[0] != '\0')
		curl_easy_setopt(h, CURLOPT_PROXY, req->proxy);
	ca = req->ca_file;
	if (ca == NULL || ca[0] == '\0')
		ca = getenv("AWS_CA_BUNDLE");
	if (ca != NULL && ca[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);

	if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(
		    h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(req->body ? req->body_len : 0));
	} else if (strcmp(req->method, "PUT") == 0 && req->body != NULL) {
		/* A PUT with a body (S3 PutObject): posted fields sent with
		 * the PUT method, which libcurl's SigV4 hashes as the payload
		 * (x-amz-content-sha256 for s3). */
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(
		    h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	} else if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
	/* No "Expect:" header to switch off 100-continue: libcurl 7.88
	 * signs even a removed header ("expect:" with an empty value)
	 * and the server's signature then differs. Big bodies may wait
	 * up to 1 s for 100 Continue instead. */
	if (req->content_type != NULL) {
		n = snprintf(
		    line, sizeof(line), "Content-Type: %s", req->content_type);
		if (n < 0 || (size_t)n >= sizeof(line))
			goto toolong;
		ADD_HDR(line);
	}
	if (req->target != NULL) {
		n = snprintf(
		    line, sizeof(line), "X-Amz-Target: %s", req->target);
		if (n < 0 || (size_t)n >= sizeof(line))
			goto toolong;
		ADD_HDR(line);
	}
	for (size_t i = 0; req->headers != NULL && req->headers[i]; i++)
		ADD_HDR(req->headers[i]);
	if (creds != NULL) {
		if (req->region == NULL || req->service == NULL ||
		    strchr(req->region, ':') || strchr(req->service, ':')) {
			ms_err_set(err, MS_CONFIG,
			    "aws: signing needs a region and a service");
			st = MS_CONFIG;
			goto out;
		}
		n = snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:%s", req->region,
		    req->service);
		if (n < 0 || (size_t)n >= sizeof(sigv4))
			goto toolong;
		curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
		curl_easy_setopt(h, CURLOPT_USERNAME, creds->key_id);
		curl_easy_setopt(h, CURLOPT_PASSWORD, creds->secret);
		if (creds->token != NULL && creds->token[0] != '\0') {
			n = snprintf(line, sizeof(line),
			    "X-Amz-Security-Token: %s", creds->token);
			if (n < 0 || (size_t)n >= sizeof(line)) {
				OPENSSL_cleanse(line, sizeof(line));
				goto toolong;
			}
			ADD_HDR(line);
			OPENSSL_cleanse(line, sizeof(line));
		}
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

	rc = curl_easy_perform(h);
	resp->curl_code = (int)rc;
	{
		curl_off_t t = 0;
		long code = 0;

		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		resp->status = code;
		if (strncmp(req->url, "https", 5) == 0)
			curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &t);
		else
			curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &t);
		resp->reached = t > 0 || code > 0;
	}
	resp->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	if (rc != CURLE_OK) {
		aws_url_host(req->url, q, sizeof(q));
		if (sink.too_big)
			ms_err_set(err, MS_TEMP,
			    "aws: %s: response larger than %zu bytes", q,
			    sink.max);
		else
			ms_err_set(err, MS_TEMP, "aws: %s: %s", q,
			    ebuf[0] ? ebuf : curl_easy_strerror(rc));
		st = MS_TEMP;
		goto out;
	}
	st = MS_OK;
	goto out;
toolong:
	st = ms_err_set(err, MS_CONFIG, "aws: request header too long");
	goto out;
nomem:
	st = ms_err_set(err, MS_TEMP, "aws: out of memory");
out:
#undef ADD_HDR
	/* libcurl copied the token into its own header list; wipe ours. */
	for (tmp = hdrs; tmp != NULL; tmp = tmp->next)
		if (strncasecmp(tmp->data, "X-Amz-Security-Token:", 21) == 0)
			OPENSSL_cleanse(tmp->data, strlen(tmp->data));
	if (h != NULL)
		curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	if (st != MS_OK && st != MS_TEMP)
		aws_resp_free(resp);
	return st;
}

enum ms_status
aws_request(const struct aws_http_req *req, const struct aws_creds *creds,
    struct aws_http_resp *resp, struct ms_err *err)
{
	if (creds == NULL || creds->key_id == NULL || creds->secret == NULL)
		return ms_err_set(err, MS_CONFIG, "aws: no credentials");
	return perform(req, creds, resp, err);
}

enum ms_status
aws_http_plain(const struct aws_http_req *req, struct aws_http_resp *resp,
    struct ms_err *err)
{
	return perform(req, NULL, resp, err);
}

void
aws_resp_free(struct aws_http_resp *resp)
{
	if (resp == NULL)
		return;
	if (resp->body != NULL) {
		/* Bodies may hold secrets (GetSecretValue, credentials). */
		OPENSSL_cleanse(resp->body, resp->body_len);
		free(resp->body);
	}
	resp->body = NULL;
	resp->body_len = 0;
}

static bool
region_ok(const char *r)
{
	if (r == NULL || r[0] == '\0' || strlen(r) > 40)
		return false;
	for (; *r; r++)
		if (!islower((unsigned char)*r) &&
		    !isdigit((unsigned char)*r) && *r != '-')
			return false;
	return true;
}

bool
aws_use_fips(void)
{
	const char *v = getenv("AWS_USE_FIPS_ENDPOINT");

	return v != NULL && strcasecmp(v, "true") == 0;
}

const char *
aws_dns_suffix(const char *region)
{
	if (region != NULL && strncmp(region, "cn-", 3) == 0)
		return "amazonaws.com.cn";
	if (region != NULL && strncmp(region, "eusc-", 5) == 0)
		return "amazonaws.eu";
	return "amazonaws.com";
}

enum ms_status
aws_endpoint(char *out, size_t outlen, const char *explicit_ep,
    const char *envname, const char *prefix, const char *region,
    struct ms_err *err)
{
	return aws_endpoint_fips(out, outlen, explicit_ep, envname, prefix,
	    region, aws_use_fips(), err);
}

enum ms_status
aws_endpoint_fips(char *out, size_t outlen, const char *explicit_ep,
    const char *envname, const char *prefix, const char *region, bool fips,
    struct ms_err *err)
{
	char var[64];
	const char *ep = explicit_ep;
	size_t len;
	int n;

	if (ep == NULL || ep[0] == '\0') {
		n = snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", envname);
		if (n > 0 && (size_t)n < sizeof(var))
			ep = getenv(var);
	}
	if (ep == NULL || ep[0] == '\0')
		ep = getenv("AWS_ENDPOINT_URL");
	if (ep != NULL && ep[0] != '\0') {
		if (strstr(ep, "://") != NULL)
			n = snprintf(out, outlen, "%s", ep);
		else
			n = snprintf(out, outlen, "https://%s", ep);
	} else {
		if (!region_ok(region))
			return ms_err_set(err, MS_CONFIG,
			    "aws: no usable region for %s", prefix);
		n = snprintf(out, outlen, "https://%s%s.%s.%s", prefix,
		    fips ? "-fips" : "", region, aws_dns_suffix(region));
	}
	if (n < 0 || (size_t)n >= outlen)
		return ms_err_set(err, MS_CONFIG, "aws: endpoint too long");
	len = (size_t)n;
	while (len > 0 && out[len - 1] == '/')
		out[--len] = '\0';
	return MS_OK;
}

void
aws_url_host(const char *url, char *out, size_t outlen)
{
	const char *p = strstr(url, "://"), *e;
	size_t n;

	p = p ? p + 3 : url;
	if ((e = strchr(p, '@')) != NULL && e < p + strcspn(p, "/"))
		p = e + 1;
	n = strcspn(p, "/?#");
	ms_quote(out, outlen, p, n);
}
