/*
 * aws_request.h - one HTTP request to AWS through libcurl: SigV4-signed
 *                 JSON calls (SES v2, Secrets Manager, SSM) and plain
 *                 calls to the metadata / container endpoints.
 *
 * API:    aws_request(), aws_http_plain(), aws_resp_free(), aws_endpoint(),
 *         aws_endpoint_fips(), aws_use_fips(), aws_dns_suffix(),
 *         aws_url_host().
 * Owns:   aws/: an AWS client and nothing more - requests (this file),
 *         the credential chain (aws_creds.c, one provider per
 *         aws_creds_*.c), secrets (aws_secret.c), error answers
 *         (aws_error.c). Knows nothing about mail.
 * Calls:  spool/ and lib/ only; never relay/, flush/ or admin/.
 * Trust:  flusher only. Signing is libcurl's CURLOPT_AWS_SIGV4 with an
 *         explicit "aws:amz:REGION:SERVICE"; the key id and secret go in
 *         CURLOPT_USERNAME / CURLOPT_PASSWORD (a ':' in either is safe).
 *         The CA file is the caller's ca_file, else AWS_CA_BUNDLE (as the
 *         SDKs read it), else the default CA store. Redirects are not
 *         followed. Response bodies are bounded by AWS_RESP_MAX.
 * Errors: aws_request()/aws_http_plain() return MS_OK whenever an HTTP
 *         answer arrived (any status: look at resp->status), MS_TEMP for
 *         transport failures (resp->curl_code, resp->reached say how far
 *         it got), MS_CONFIG for a bad URL.
 */
#ifndef MS_AWS_REQUEST_H
#define MS_AWS_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "aws_creds.h"
#include "ms.h"

#define AWS_RESP_MAX (1024 * 1024)

struct aws_http_req {
	const char *method; /* "POST", "GET", "PUT" */
	const char *url;
	const char *region;	  /* signed requests */
	const char *service;	  /* SigV4 signing name: ses, ssm, ... */
	const char *content_type; /* NULL: none */
	const char *target;	  /* X-Amz-Target or NULL */
	const char *body;	  /* not copied; NULL = empty */
	size_t body_len;
	const char *const *headers; /* extra "Name: value", NULL end */
	const char *ca_file;	    /* NULL: AWS_CA_BUNDLE, else default */
	const char *proxy;	    /* NULL: libcurl's default (env) */
	bool no_proxy;		    /* never use a proxy (metadata endpoints) */
	long connect_timeout;	    /* seconds, 0 = 10 */
	long timeout;		    /* seconds without progress, 0 = 30 */
	long max_time;		    /* seconds in all, 0 = none */
	long timeout_ms; /* whole request in ms (metadata), 0 = none */
	size_t resp_max; /* response body bound, 0 = AWS_RESP_MAX */
};

struct aws_http_resp {
	long status; /* HTTP status, 0 when none arrived */
	char *body;  /* NUL-terminated, NULL when empty */
	size_t body_len;
	char error_type[128]; /* x-amzn-ErrorType before ':' or "" */
	char request_id[128]; /* x-amzn-RequestId or "" */
	int curl_code;	      /* CURLcode of the transfer */
	bool reached;	      /* connected (and TLS done) to the server */
	bool timed_out;
};

/* Signs with creds and performs req. */
enum ms_status
aws_request(const struct aws_http_req *req, const struct aws_creds *creds,
    struct aws_http_resp *resp, struct ms_err *err);

/* Unsigned request (IMDS, container endpoint). */
enum ms_status aws_http_plain(const struct aws_http_req *req,
    struct aws_http_resp *resp, struct ms_err *err);

void aws_resp_free(struct aws_http_resp *resp);

/* Base URL (no trailing '/') for a service: explicit (a URL, or a bare
 * host taken as https://HOST), else AWS_ENDPOINT_URL_<ENVNAME>, else
 * AWS_ENDPOINT_URL, else https://PREFIX[-fips].REGION.SUFFIX, SUFFIX
 * being the partition's (aws_dns_suffix()) and -fips added when
 * AWS_USE_FIPS_ENDPOINT is "true". envname is the SDKs' service id
 * upper-cased: "SESV2", "SECRETS_MANAGER", "SSM", "STS", "SQS".
 * MS_CONFIG when it does not fit or the region is missing/odd. */
enum ms_status aws_endpoint(char *out, size_t outlen, const char *explicit_ep,
    const char *envname, const char *prefix, const char *region,
    struct ms_err *err);

/* The same with FIPS chosen by the caller (a relay's `fips` switch or'ed
 * with aws_use_fips()). */
enum ms_status aws_endpoint_fips(char *out, size_t outlen,
    const char *explicit_ep, const char *envname, const char *prefix,
    const char *region, bool fips, struct ms_err *err);

/* True when AWS_USE_FIPS_ENDPOINT is "true" (any case), as the SDKs read
 * it. */
bool aws_use_fips(void);

/* The partition's DNS suffix: amazonaws.com.cn for cn-*, amazonaws.eu
 * for eusc-* (the European Sovereign Cloud), else amazonaws.com. */
const char *aws_dns_suffix(const char *region);

/* The "host[:port]" part of url into out (for msg->peer). */
void aws_url_host(const char *url, char *out, size_t outlen);

#endif
