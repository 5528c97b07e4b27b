/*
 * aws_creds_sts.c - temporary credentials from AWS STS: AssumeRole
 *                   (signed with the source credentials: a profile's
 *                   role_arn, a relay's role_arn) and
 *                   AssumeRoleWithWebIdentity (unsigned; EKS IRSA's
 *                   AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE).
 *
 * API:    aws_creds_from_sts() (aws_provider.h).
 * Wire:   the Query protocol: POST / with a form body (Action, Version
 *         2011-06-15, RoleArn, RoleSessionName, ExternalId,
 *         DurationSeconds, WebIdentityToken); the answer is XML:
 *         <...Result><Credentials><AccessKeyId/><SecretAccessKey/>
 *         <SessionToken/><Expiration/></Credentials>, errors
 *         <ErrorResponse><Error><Code/><Message/></Error>.
 * Endpoint: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else the
 *         regional https://sts.REGION.amazonaws.com (".com.cn" for cn-*),
 *         us-east-1 when no region is known (aws_endpoint()).
 * Trust:  flusher only. The request body holds the web identity token
 *         and the answer the new secret: both are wiped.
 * Errors: MS_TEMP for transport failures and STS error answers (with
 *         STS's code and message); MS_CONFIG for a bad endpoint.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "aws_provider.h"
#include "aws_request.h"

#define STS_BODY_MAX 16384

/* Appends "&name=percent-encoded(value)" (RFC 3986 unreserved kept). */
static bool
form_add(
    char *buf, size_t cap, size_t *len, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	int n =
	    snprintf(buf + *len, cap - *len, "%s%s=", *len ? "&" : "", name);

	if (n < 0 || (size_t)n >= cap - *len)
		return false;
	*len += (size_t)n;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*len + 4 > cap)
			return false;
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == '~') {
			buf[(*len)++] = (char)*p;
		} else {
			buf[(*len)++] = '%';
			buf[(*len)++] = hex[*p >> 4];
			buf[(*len)++] = hex[*p & 15];
		}
	}
	buf[*len] = '\0';
	return true;
}

/* The text of the first <tag>...</tag> in [b, e), XML entities decoded.
 * Returns 1 found, 0 not found, -1 too long or malformed. */
static int
xml_get(const char *b, const char *e, const char *tag, char *out, size_t outlen)
{
	char open[64], close[64];
	const char *s, *t;
	size_t n = 0;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((s = memmem(b, (size_t)(e - b), open, strlen(open))) == NULL)
		return 0;
	s += strlen(open);
	if ((t = memmem(s, (size_t)(e - s), close, strlen(close))) == NULL)
		return -1;
	while (s < t) {
		char c = *s++;

		if (c == '&') {
			static const struct {
				const char *ent;
				char c;
			} ents[] = { { "amp;", '&' }, { "lt;", '<' },
				{ "gt;", '>' }, { "quot;", '"' },
				{ "apos;", '\'' } };
			size_t k;

			for (k = 0; k < MS_ARRAY_LEN(ents); k++) {
				size_t l = strlen(ents[k].ent);

				if ((size_t)(t - s) >= l &&
				    memcmp(s, ents[k].ent, l) == 0) {
					c = ents[k].c;
					s += l;
					break;
				}
			}
			if (k == MS_ARRAY_LEN(ents))
				return -1;
		}
		if (n + 1 >= outlen)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return 1;
}

static enum ms_status
parse_answer(const struct aws_http_resp *resp, const char *action,
    struct aws_creds *out, struct ms_err *err)
{
	const char *b = resp->body, *e = resp->body + resp->body_len, *c;
	char id[256], secret[512], token[8192], exp[64], code[128], msg[300];
	long long expires = 0;
	enum ms_status st;

	if (b == NULL)
		return ms_err_set(err, MS_TEMP,
		    "aws: sts %s answered %ld with no body", action,
		    resp->status);
	if (resp->status != 200) {
		char qc[140], qm[220];

		if (xml_get(b, e, "Code", code, sizeof(code)) != 1)
			snprintf(code, sizeof(code), "HTTP %ld", resp->status);
		if (xml_get(b, e, "Message", msg, sizeof(msg)) != 1)
			msg[0] = '\0';
		return ms_err_set(err, MS_TEMP, "aws: sts %s refused: %s%s%s",
		    action, ms_quote(qc, sizeof(qc), code, strlen(code)),
		    msg[0] ? ": " : "",
		    ms_quote(qm, sizeof(qm), msg, strlen(msg)));
	}
	if ((c = memmem(b, resp->body_len, "<Credentials>", 13)) == NULL)
		return ms_err_set(err, MS_TEMP,
		    "aws: sts %s answer has no Credentials", action);
	if (xml_get(c, e, "AccessKeyId", id, sizeof(id)) != 1 ||
	    xml_get(c, e, "SecretAccessKey", secret, sizeof(secret)) != 1 ||
	    xml_get(c, e, "SessionToken", token, sizeof(token)) != 1 ||
	    xml_get(c, e, "Expiration", exp, sizeof(exp)) != 1 || !id[0] ||
	    !secret[0])
		st = ms_err_set(err, MS_TEMP,
		    "aws: sts %s answer lacks AccessKeyId, SecretAccessKey, "
		    "SessionToken or Expiration",
		    action);
	else if (!aws_time_parse_iso8601(exp, &expires))
		st = ms_err_set(err, MS_TEMP,
		    "aws: sts %s answer has a malformed Expiration", action);
	else
		st = aws_creds_set(out, id, secret, token, expires, err);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(token, sizeof(token));
	return st;
}

enum ms_status
aws_creds_from_sts(const struct aws_sts_params *p, const struct aws_creds *src,
    struct aws_creds *out, struct ms_err *err)
{
	const char *action =
	    p->web_token ? "AssumeRoleWithWebIdentity" : "AssumeRole";
	const char *region =
	    p->region && p->region[0] ? p->region : "us-east-1";
	char *body, base[1024], url[1025], session[64], dur[32];
	size_t len = 0;
	struct aws_http_req req = { 0 };
	struct aws_http_resp resp;
	enum ms_status st;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (p->web_token == NULL && src == NULL)
		return ms_err_set(err, MS_SOFTWARE,
		    "aws: AssumeRole without source credentials");
	if ((st = aws_endpoint(
		 base, sizeof(base), NULL, "STS", "sts", region, err)) != MS_OK)
		return st;
	snprintf(url, sizeof(url), "%s/", base); /* url is one byte longer */
	if (p->session_name != NULL && p->session_name[0] != '\0')
		snprintf(session, sizeof(session), "%.63s", p->session_name);
	else
		snprintf(session, sizeof(session), "mailshim-%lld",
		    (long long)time(NULL));
	if ((body = malloc(STS_BODY_MAX)) == NULL)
		return ms_err_set(err, MS_TEMP, "aws: out of memory");
	body[0] = '\0';
	ok = form_add(body, STS_BODY_MAX, &len, "Action", action) &&
	    form_add(body, STS_BODY_MAX, &len, "Version", "2011-06-15") &&
	    form_add(body, STS_BODY_MAX, &len, "RoleArn", p->role_arn) &&
	    form_add(body, STS_BODY_MAX, &len, "RoleSessionName", session);
	if (ok && p->external_id != NULL)
		ok = form_add(
		    body, STS_BODY_MAX, &len, "ExternalId", p->external_id);
	if (ok && p->duration > 0) {
		snprintf(dur, sizeof(dur), "%d", p->duration);
		ok = form_add(body, STS_BODY_MAX, &len, "DurationSeconds", dur);
	}
	if (ok && p->web_token != NULL)
		ok = form_add(
		    body, STS_BODY_MAX, &len, "WebIdentityToken", p->web_token);
	if (!ok) {
		OPENSSL_cleanse(body, STS_BODY_MAX);
		free(body);
		return ms_err_set(
		    err, MS_CONFIG, "aws: sts %s request too long", action);
	}
	req.method = "POST";
	req.url = url;
	req.region = region;
	req.service = "sts";
	req.content_type = "application/x-www-form-urlencoded; charset=utf-8";
	req.body = body;
	req.body_len = len;
	req.max_time = 30;
	if (p->web_token != NULL)
		st = aws_http_plain(&req, &resp, err);
	else
		st = aws_request(&req, src, &resp, err);
	OPENSSL_cleanse(body, STS_BODY_MAX);
	free(body);
	if (st != MS_OK)
		return st;
	st = parse_answer(&resp, action, out, err);
	aws_resp_free(&resp);
	return st;
}
