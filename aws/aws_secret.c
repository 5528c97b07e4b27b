/*
 * aws_secret.c - secretsmanager: and ssm: secret sources.
 *
 * API:    aws_secret_load(), aws_secret_select(), aws_secret_cache_clear(),
 *         aws_secret_forget().
 *         Documented in aws_secret.h.
 * Trust:  flusher only; values live in memory, wiped on release, and are
 *         never formatted into a message or a log line (errors name the
 *         spec without its #key and the service's error name only).
 * Errors: returns an ms_status; the reason goes into the caller's ms_err.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws_creds.h"
#include "aws_error.h"
#include "aws_provider.h"
#include "aws_request.h"
#include "aws_secret.h"
#include "log.h"

#define CACHE_MAX 32

struct cached {
	char *id;	   /* "secretsmanager:NAME" / "ssm:NAME" without #key */
	char *value;	   /* whole value; wiped on release */
	long long fetched; /* unix seconds */
};

static struct cached cache[CACHE_MAX];
static size_t ncache;
static struct aws_creds_provider *chain;
static long cache_ttl = AWS_SECRET_TTL_DEFAULT;

void
aws_secret_set_ttl(long seconds)
{
	cache_ttl = seconds < 0 ? 0 : seconds;
}

long
aws_secret_ttl(void)
{
	return cache_ttl;
}

/* Drops entry i (wiped), keeping the others. */
static void
cache_drop(size_t i)
{
	free(cache[i].id);
	aws_wipe_free(cache[i].value);
	cache[i] = cache[--ncache];
	memset(&cache[ncache], 0, sizeof(cache[ncache]));
}

void
aws_secret_cache_clear(void)
{
	for (size_t i = 0; i < ncache; i++) {
		free(cache[i].id);
		aws_wipe_free(cache[i].value);
	}
	ncache = 0;
	aws_creds_provider_free(chain);
	chain = NULL;
}

void
aws_secret_forget(const char *spec)
{
	size_t idlen;

	if (spec == NULL)
		return;
	idlen = strcspn(spec, "#");
	for (size_t i = 0; i < ncache; i++)
		if (strlen(cache[i].id) == idlen &&
		    strncmp(cache[i].id, spec, idlen) == 0) {
			cache_drop(i);
			return;
		}
}

enum ms_status
aws_secret_select(
    const char *json, const char *key, char **out, struct ms_err *err)
{
	json_t *root, *v;
	char q[256];
	enum ms_status st = MS_OK;

	*out = NULL;
	ms_quote(q, sizeof(q), key, strlen(key));
	root = json_loads(json, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return ms_err_set(err, MS_CONFIG,
		    "secret value is not a JSON "
		    "object, cannot select #%s",
		    q);
	}
	v = json_object_get(root, key);
	if (json_is_string(v))
		*out = strdup(json_string_value(v));
	else if (json_is_number(v) || json_is_boolean(v))
		*out = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	else
		st = ms_err_set(err, MS_CONFIG,
		    "secret has no string key "
		    "#%s",
		    q);
	if (st == MS_OK && *out == NULL)
		st = ms_err_set(err, MS_TEMP, "out of memory");
	/* Wipe jansson's copies of the other values too. */
	{
		const char *k;
		json_t *x;

		json_object_foreach(root, k, x) if (json_is_string(x))
		    OPENSSL_cleanse(
			(char *)json_string_value(x), json_string_length(x));
	}
	json_decref(root);
	return st;
}

/* Region: from an ARN (arn:PARTITION:SERVICE:REGION:...), else the
 * caller's (the relay's `region`), else AWS_REGION / AWS_DEFAULT_REGION,
 * else the profile's region, else instance metadata. None is a
 * configuration error (78), not a failure to retry forever. */
static enum ms_status
region_for(const char *name, const char *hint, char *out, size_t outlen,
    struct ms_err *err)
{
	const char *r;
	char why[400];

	if (strncmp(name, "arn:", 4) == 0) {
		const char *p = name;
		size_t n;

		for (int i = 0; i < 3 && p != NULL; i++)
			if ((p = strchr(p, ':')) != NULL)
				p++;
		if (p == NULL || (n = strcspn(p, ":")) == 0 || n >= outlen ||
		    p[n] != ':')
			return ms_err_set(err, MS_CONFIG, "malformed ARN");
		memcpy(out, p, n);
		out[n] = '\0';
		return MS_OK;
	}
	if ((hint != NULL && (r = hint)[0] != '\0') ||
	    ((r = getenv("AWS_REGION")) != NULL && r[0] != '\0') ||
	    ((r = getenv("AWS_DEFAULT_REGION")) != NULL && r[0] != '\0')) {
		if ((size_t)snprintf(out, outlen, "%s", r) >= outlen)
			return ms_err_set(err, MS_CONFIG, "region too long");
		return MS_OK;
	}
	if (aws_profile_region(out, outlen))
		return MS_OK;
	if (aws_imds_region(out, outlen, err) == MS_OK)
		return MS_OK;
	snprintf(why, sizeof(why), "%.399s", err->msg);
	return ms_err_set(err, MS_CONFIG,
	    "no AWS region: give an ARN, the relay's region, AWS_REGION or "
	    "a profile region (instance metadata: %s)",
	    why);
}

static enum ms_status
fetch(bool ssm, const char *name, const char *hint, char **value,
    struct ms_err *err)
{
	char region[64], url[2048], q[256];
	struct aws_http_req req;
	struct aws_http_resp resp;
	struct aws_error ae;
	const struct aws_creds *c;
	json_t *body = NULL, *root = NULL, *v;
	char *text = NULL;
	enum ms_status st;

	*value = NULL;
	ms_quote(q, sizeof(q), name, strlen(name));
	memset(&resp, 0, sizeof(resp));
	if ((st = region_for(name, hint, region, sizeof(region), err)) != MS_OK)
		return st;
	if ((st = aws_endpoint(url, sizeof(url), NULL,
		 ssm ? "SSM" : "SECRETS_MANAGER",
		 ssm ? "ssm" : "secretsmanager", region, err)) != MS_OK)
		return st;
	if (strlen(url) + 2 > sizeof(url))
		return ms_err_set(err, MS_CONFIG, "endpoint too long");
	memcpy(url + strlen(url), "/", 2);
	if (ssm)
		body =
		    json_pack("{s:s,s:b}", "Name", name, "WithDecryption", 1);
	else
		body = json_pack("{s:s,s:s}", "SecretId", name, "VersionStage",
		    "AWSCURRENT");
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		st = ms_err_set(err, MS_TEMP, "out of memory");
		goto out;
	}
	if (chain == NULL &&
	    (st = aws_creds_provider_new(&chain, "chain", 0, err)) != MS_OK)
		goto out;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.region = region;
	req.service = ssm ? "ssm" : "secretsmanager";
	req.content_type = "application/x-amz-json-1.1";
	req.target =
	    ssm ? "AmazonSSM.GetParameter" : "secretsmanager.GetSecretValue";
	req.body = text;
	req.body_len = strlen(text);
	req.timeout = 30;
	req.max_time = 60;
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((st = aws_creds_get(
			 chain, (long long)time(NULL), &c, err)) != MS_OK)
			goto out;
		if ((st = aws_request(&req, c, &resp, err)) != MS_OK)
			goto out;
		if (resp.status < 300)
			break;
		aws_error_parse(resp.error_type, resp.body, resp.body_len, &ae);
		if (attempt == 0 && aws_error_is_auth(ae.name)) {
			aws_creds_invalidate(chain);
			aws_resp_free(&resp);
			continue;
		}
		/* Never echo the message: some services quote input. */
		st = ms_err_set(err,
		    resp.status >= 500 || resp.status == 429 ||
			    strstr(ae.name, "Throttl")
			? MS_TEMP
			: MS_CONFIG,
		    "%s %s: %ld %s", ssm ? "ssm" : "secretsmanager", q,
		    resp.status, ae.name[0] ? ae.name : "error");
		goto out;
	}
	if (resp.status >= 300) {
		st = ms_err_set(err, MS_CONFIG, "%s %s: credentials refused",
		    ssm ? "ssm" : "secretsmanager", q);
		goto out;
	}
	root = resp.body ? json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
	v = ssm ? json_object_get(json_object_get(root, "Parameter"), "Value")
		: json_object_get(root, "SecretString");
	if (!json_is_string(v)) {
		st = ms_err_set(err, MS_CONFIG,
		    "%s %s: no %s in the answer "
		    "(binary secrets are not supported)",
		    ssm ? "ssm" : "secretsmanager", q,
		    ssm ? "Parameter.Value" : "SecretString");
		goto out;
	}
	if ((*value = strdup(json_string_value(v))) == NULL)
		st = ms_err_set(err, MS_TEMP, "out of memory");
	else
		st = MS_OK;
	OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
out:
	json_decref(root);
	json_decref(body);
	free(text);
	aws_resp_free(&resp);
	return st;
}

enum ms_status
aws_secret_load(const char *spec, char **value, struct ms_err *err)
{
	return aws_secret_load_in(spec, NULL, value, err);
}

enum ms_status
aws_secret_load_in(
    const char *spec, const char *region, char **value, struct ms_err *err)
{
	const char *name, *hash;
	char id[2100], q[256], *whole = NULL;
	enum ms_status st;
	bool ssm, owned = false;
	size_t idlen, i;

	*value = NULL;
	(void)aws_json_wipe_enable(); /* links aws_json.c: wiping frees */
	if (strncmp(spec, "ssm:", 4) == 0) {
		ssm = true;
		name = spec + 4;
	} else if (strncmp(spec, "secretsmanager:", 15) == 0) {
		ssm = false;
		name = spec + 15;
	} else {
		return ms_err_set(err, MS_CONFIG,
		    "not an AWS secret source: %s",
		    ms_quote(q, sizeof(q), spec, strcspn(spec, "#")));
	}
	hash = strchr(name, '#');
	idlen = hash ? (size_t)(hash - spec) : strlen(spec);
	if ((hash ? (size_t)(hash - name) : strlen(name)) == 0 ||
	    idlen >= sizeof(id) || (hash != NULL && hash[1] == '\0'))
		return ms_err_set(err, MS_CONFIG, "malformed secret source %s",
		    ms_quote(q, sizeof(q), spec, idlen));
	memcpy(id, spec, idlen);
	id[idlen] = '\0';
	for (i = 0; i < ncache; i++)
		if (strcmp(cache[i].id, id) == 0)
			break;
	/* A value older than its lifetime is read again: rotation. */
	if (i < ncache &&
	    (long long)time(NULL) - cache[i].fetched >= cache_ttl) {
		cache_drop(i);
		i = ncache;
	}
	if (i < ncache) {
		whole = cache[i].value;
	} else {
		char *v;

		if ((st = fetch(ssm, id + (ssm ? 4 : 15), region, &v, err)) !=
		    MS_OK)
			return st;
		if (ncache < CACHE_MAX) {
			if ((cache[ncache].id = strdup(id)) == NULL) {
				aws_wipe_free(v);
				return ms_err_set(
				    err, MS_TEMP, "out of memory");
			}
			cache[ncache].fetched = (long long)time(NULL);
			cache[ncache++].value = v;
			whole = v;
		} else {
			whole = v; /* cache full: not kept */
			owned = true;
		}
	}
	if (hash != NULL)
		st = aws_secret_select(whole, hash + 1, value, err);
	else if ((*value = strdup(whole)) == NULL)
		st = ms_err_set(err, MS_TEMP, "out of memory");
	else
		st = MS_OK;
	if (owned)
		aws_wipe_free(whole);
	return st;
}
