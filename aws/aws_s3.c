/*
 * aws_s3.c - S3 PutObject / GetObject / DeleteObject, path-style
 *            (ENDPOINT/BUCKET/KEY), signed with SigV4 ("s3"; libcurl adds
 *            x-amz-content-sha256), one request each through aws_request.
 *
 * API:    aws_s3_put(), aws_s3_get(), aws_s3_delete(), aws_s3_key_ok().
 *         Documented in aws_s3.h.
 * Trust:  flusher only; bodies are never logged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "aws_error.h"
#include "aws_request.h"
#include "aws_s3.h"
#include "log.h"

bool
aws_s3_key_ok(const char *s)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= 900 &&
	    ms_s3_name_safe(s, true);
}

static enum ms_status
s3_call(const struct aws_s3 *s, const char *method, const char *bucket,
    const char *key, const char *body, size_t len, size_t resp_max,
    struct aws_http_resp *resp, struct ms_err *err)
{
	char url[2048], sha[100];
	const char *hdrs[] = { sha, NULL };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct aws_http_req req;
	const struct aws_creds *c;
	struct aws_error ae;
	enum ms_status st;
	int n;

	memset(resp, 0, sizeof(*resp));
	if (!aws_s3_key_ok(bucket) || strchr(bucket, '/') != NULL ||
	    !aws_s3_key_ok(key))
		return ms_err_set(err, MS_CONFIG,
		    "s3: bucket or key outside [A-Za-z0-9._/-]");
	if ((st = aws_endpoint(url, sizeof(url), s->endpoint, "S3", "s3",
		 s->region, err)) != MS_OK)
		return st;
	n = (int)strlen(url);
	if (snprintf(url + n, sizeof(url) - (size_t)n, "/%s/%s", bucket, key) >=
	    (int)sizeof(url) - n)
		return ms_err_set(err, MS_CONFIG, "s3: URL too long");
	/* S3 wants the payload's SHA-256 in x-amz-content-sha256 (libcurl
	 * 7.88 signs the value given here as the payload hash). */
	if (EVP_Digest(body != NULL ? body : "", body != NULL ? len : 0, md,
		&mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return ms_err_set(err, MS_TEMP, "s3: cannot hash the payload");
	n = snprintf(sha, sizeof(sha), "x-amz-content-sha256: ");
	for (unsigned int i = 0; i < mdlen; i++)
		n += snprintf(sha + n, sizeof(sha) - (size_t)n, "%02x", md[i]);
	memset(&req, 0, sizeof(req));
	req.headers = hdrs;
	req.method = method;
	req.url = url;
	req.region = s->region;
	req.service = "s3";
	req.body = body;
	req.body_len = len;
	req.content_type = body != NULL ? "application/octet-stream" : NULL;
	req.ca_file = s->ca_file;
	req.proxy = s->proxy;
	req.connect_timeout = s->connect_timeout;
	req.timeout = s->timeout;
	req.resp_max = resp_max;
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((st = aws_creds_get(
			 s->cp, (long long)time(NULL), &c, err)) != MS_OK)
			return MS_TEMP;
		if ((st = aws_request(&req, c, resp, err)) != MS_OK)
			return st == MS_CONFIG ? MS_CONFIG : MS_TEMP;
		if (resp->status < 300)
			return MS_OK;
		aws_error_parse(resp->error_type, NULL, 0, &ae);
		if (attempt == 0 &&
		    (resp->status == 400 || resp->status == 403) &&
		    resp->body != NULL &&
		    (strstr(resp->body, "<Code>ExpiredToken</Code>") ||
			strstr(resp->body, "<Code>InvalidToken</Code>"))) {
			aws_creds_invalidate(s->cp);
			aws_resp_free(resp);
			continue;
		}
		break;
	}
	{
		const char *code =
		    resp->body ? strstr(resp->body, "<Code>") : NULL;
		char name[64] = "";

		if (code != NULL)
			ms_quote(name, sizeof(name), code + 6,
			    strcspn(code + 6, "<"));
		st = ms_err_set(err,
		    resp->status >= 500				     ? MS_TEMP
			: resp->status == 401 || resp->status == 403 ? MS_NOPERM
								     : MS_PERM,
		    "s3: %s s3://%s/%s answered %ld %s", method, bucket, key,
		    resp->status, name[0] ? name : "error");
	}
	return st;
}

enum ms_status
aws_s3_put(const struct aws_s3 *s, const char *bucket, const char *key,
    const char *data, size_t len, long *status, struct ms_err *err)
{
	struct aws_http_resp resp;
	enum ms_status st =
	    s3_call(s, "PUT", bucket, key, data, len, 0, &resp, err);

	*status = resp.status;
	aws_resp_free(&resp);
	return st;
}

enum ms_status
aws_s3_get(const struct aws_s3 *s, const char *bucket, const char *key,
    size_t max, char **data, size_t *len, long *status, struct ms_err *err)
{
	struct aws_http_resp resp;
	enum ms_status st =
	    s3_call(s, "GET", bucket, key, NULL, 0, max, &resp, err);

	*status = resp.status;
	*data = NULL;
	*len = 0;
	if (st == MS_OK) {
		*data = resp.body != NULL ? resp.body : strdup("");
		*len = resp.body_len;
		resp.body = NULL;
		if (*data == NULL)
			st = ms_err_set(err, MS_TEMP, "s3: out of memory");
	}
	aws_resp_free(&resp);
	return st;
}

enum ms_status
aws_s3_delete(const struct aws_s3 *s, const char *bucket, const char *key,
    struct ms_err *err)
{
	struct aws_http_resp resp;
	enum ms_status st =
	    s3_call(s, "DELETE", bucket, key, NULL, 0, 0, &resp, err);

	if (st == MS_PERM && resp.status == 404)
		st = MS_OK;
	aws_resp_free(&resp);
	return st;
}
