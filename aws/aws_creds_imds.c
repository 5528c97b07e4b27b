/*
 * aws_creds_imds.c - the EC2 instance role and region through the
 *                    instance metadata service (IMDSv2: a session token
 *                    first; IMDSv1 only when explicitly allowed).
 *
 * API:    aws_creds_from_imds(), aws_imds_disabled() (aws_provider.h);
 *         aws_imds_region() (aws_creds.h).
 * Trust:  metadata requests never use a proxy.
 * Errors: returns an ms_status; the reason goes into the caller's ms_err.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "aws_creds.h"
#include "aws_provider.h"
#include "aws_request.h"
#include "log.h"

#define IMDS_DEFAULT   "http://169.254.169.254"
#define IMDS_TOKEN_TTL 21600

/* The IMDSv2 session token, shared by credential and region lookups. */
static char imds_token[512];
static long long imds_token_until;

/* ---- EC2 instance metadata ---- */

bool
aws_imds_disabled(void)
{
	const char *d = getenv("AWS_EC2_METADATA_DISABLED");

	return d != NULL && strcasecmp(d, "true") == 0;
}

static enum ms_status
imds_url(char *out, size_t outlen, const char *path, struct ms_err *err)
{
	const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	size_t n;
	int r;

	if (ep == NULL || ep[0] == '\0')
		ep = IMDS_DEFAULT;
	n = strlen(ep);
	while (n > 0 && ep[n - 1] == '/')
		n--;
	r = snprintf(out, outlen, "%.*s%s", (int)n, ep, path);
	if (r < 0 || (size_t)r >= outlen)
		return ms_err_set(err, MS_CONFIG, "aws: metadata URL too long");
	return MS_OK;
}

/* Gets (or reuses) the session token. *v1 is set when the PUT is refused
 * and IMDSv1 is allowed. */
static enum ms_status
imds_token_get(bool allow_v1, bool *v1, struct ms_err *err)
{
	const char *hdrs[] = { "X-aws-ec2-metadata-token-ttl-seconds: 21600",
		NULL };
	struct aws_http_req req = { 0 };
	struct aws_http_resp resp;
	char url[1024];
	enum ms_status st;
	long long now = (long long)time(NULL);

	*v1 = false;
	if (imds_token[0] != '\0' && now < imds_token_until)
		return MS_OK;
	if ((st = imds_url(url, sizeof(url), "/latest/api/token", err)) !=
	    MS_OK)
		return st;
	req.method = "PUT";
	req.url = url;
	req.headers = hdrs;
	req.no_proxy = true;
	req.timeout_ms = 1000;
	if ((st = aws_http_plain(&req, &resp, err)) != MS_OK) {
		char why[400];

		snprintf(why, sizeof(why), "%.399s", err->msg);
		return ms_err_set(err, MS_TEMP,
		    "aws: no instance metadata service (token request: %s)",
		    why);
	}
	if (resp.status == 200 && resp.body_len > 0 &&
	    resp.body_len < sizeof(imds_token) &&
	    strcspn(resp.body, "\r\n") == resp.body_len) {
		memcpy(imds_token, resp.body, resp.body_len + 1);
		imds_token_until = now + IMDS_TOKEN_TTL - 60;
		st = MS_OK;
	} else if (allow_v1 &&
	    (resp.status == 403 || resp.status == 404 || resp.status == 405)) {
		*v1 = true;
		st = MS_OK;
	} else {
		st = ms_err_set(err, MS_TEMP,
		    "aws: instance metadata token request answered %ld",
		    resp.status);
	}
	aws_resp_free(&resp);
	return st;
}

static void
imds_token_forget(void)
{
	OPENSSL_cleanse(imds_token, sizeof(imds_token));
	imds_token_until = 0;
}

/* GET path with the token; one new token and retry after a 401. */
static enum ms_status
imds_get(const char *path, bool allow_v1, struct aws_http_resp *resp,
    struct ms_err *err)
{
	char url[1024], hdr[600];
	const char *hdrs[2] = { NULL, NULL };
	struct aws_http_req req = { 0 };
	enum ms_status st;
	bool v1;

	if (aws_imds_disabled())
		return ms_err_set(err, MS_CONFIG,
		    "aws: instance metadata disabled "
		    "(AWS_EC2_METADATA_DISABLED)");
	if ((st = imds_url(url, sizeof(url), path, err)) != MS_OK)
		return st;
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((st = imds_token_get(allow_v1, &v1, err)) != MS_OK)
			return st;
		hdrs[0] = NULL;
		if (!v1) {
			snprintf(hdr, sizeof(hdr),
			    "X-aws-ec2-metadata-token: %s", imds_token);
			hdrs[0] = hdr;
		}
		req.method = "GET";
		req.url = url;
		req.headers = hdrs;
		req.no_proxy = true;
		req.timeout_ms = 2000;
		st = aws_http_plain(&req, resp, err);
		OPENSSL_cleanse(hdr, sizeof(hdr));
		if (st != MS_OK)
			return st;
		if (resp->status == 401 && !v1 && attempt == 0) {
			log_verbose("aws: metadata token refused; getting a "
				    "new one");
			aws_resp_free(resp);
			imds_token_forget();
			continue;
		}
		if (resp->status != 200) {
			st = ms_err_set(err, MS_TEMP,
			    "aws: instance metadata %s answered %ld", path,
			    resp->status);
			aws_resp_free(resp);
			return st;
		}
		return MS_OK;
	}
	return ms_err_set(err, MS_TEMP,
	    "aws: instance metadata refused a "
	    "fresh token");
}

enum ms_status
aws_creds_from_imds(bool allow_v1, struct aws_creds *out, struct ms_err *err)
{
	static const char base[] =
	    "/latest/meta-data/iam/security-credentials/";
	struct aws_http_resp resp;
	char path[512], role[256];
	enum ms_status st;
	size_t n;

	if ((st = imds_get(base, allow_v1, &resp, err)) != MS_OK)
		return st;
	n = resp.body ? strcspn(resp.body, "\r\n") : 0;
	if (n == 0 || n >= sizeof(role) || memchr(resp.body, '/', n)) {
		aws_resp_free(&resp);
		return ms_err_set(
		    err, MS_TEMP, "aws: instance has no usable IAM role");
	}
	memcpy(role, resp.body, n);
	role[n] = '\0';
	aws_resp_free(&resp);
	if (snprintf(path, sizeof(path), "%s%s", base, role) >=
	    (int)sizeof(path))
		return ms_err_set(err, MS_TEMP, "aws: role name too long");
	if ((st = imds_get(path, allow_v1, &resp, err)) != MS_OK)
		return st;
	st = aws_creds_from_json(resp.body, resp.body_len, AWS_DOC_METADATA,
	    "instance metadata", out, err);
	aws_resp_free(&resp);
	return st;
}

enum ms_status
aws_imds_region(char *out, size_t outlen, struct ms_err *err)
{
	struct aws_http_resp resp;
	enum ms_status st;
	size_t n;

	if ((st = imds_get("/latest/meta-data/placement/region", false, &resp,
		 err)) != MS_OK)
		return st;
	n = resp.body ? strcspn(resp.body, "\r\n \t") : 0;
	if (n == 0 || n >= outlen)
		st = ms_err_set(
		    err, MS_TEMP, "aws: instance metadata gave no region");
	else {
		memcpy(out, resp.body, n);
		out[n] = '\0';
	}
	aws_resp_free(&resp);
	return st;
}
