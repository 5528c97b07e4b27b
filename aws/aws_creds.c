/*
 * aws_creds.c - AWS signing credentials: the SDK default chain and the
 *               explicit sources, and a caching provider that refreshes
 *               before expiry. Each source lives in a file of its own
 *               (aws_provider.h lists them).
 *
 * API:    see aws_creds.h.
 * Trust:  flusher only. Reads the AWS_* environment, $HOME/.aws, files
 *         named by the config. Secrets are wiped before free and never
 *         formatted into a message.
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
#include "aws_secret.h"
#include "log.h"

struct aws_creds_provider {
	char *source;
	int flags;
	struct aws_creds creds;
	bool have;
	char region[64];     /* for secretsmanager:/ssm: names; "" = none */
	long long loaded_at; /* when creds were read (secret sources) */
	char *role_arn;	     /* AssumeRole with the source's, or NULL */
	char *external_id;
};

static bool
is_secret_source(const char *s)
{
	return s != NULL &&
	    (strncmp(s, "secretsmanager:", 15) == 0 ||
		strncmp(s, "ssm:", 4) == 0);
}

void
aws_wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void
aws_creds_free(struct aws_creds *c)
{
	if (c == NULL)
		return;
	free(c->key_id);
	aws_wipe_free(c->secret);
	aws_wipe_free(c->token);
	memset(c, 0, sizeof(*c));
}

enum ms_status
aws_creds_set(struct aws_creds *c, const char *id, const char *secret,
    const char *token, long long expires, struct ms_err *err)
{
	memset(c, 0, sizeof(*c));
	c->key_id = strdup(id);
	c->secret = strdup(secret);
	c->token = token && token[0] ? strdup(token) : NULL;
	c->expires = expires;
	if (c->key_id == NULL || c->secret == NULL ||
	    (token && token[0] && c->token == NULL)) {
		aws_creds_free(c);
		return ms_err_set(err, MS_TEMP, "aws: out of memory");
	}
	return MS_OK;
}

/* ---- JSON credential documents (IMDS, container, credential_process) */

/* What a document's envelope says against it, or NULL: the instance
 * metadata and container answers may carry "Code" (anything but
 * "Success" is a failure); credential_process output must carry
 * "Version": 1. */
static const char *
envelope_refused(json_t *root, enum aws_creds_doc doc)
{
	const char *code;
	json_t *ver;

	if (doc == AWS_DOC_PROCESS) {
		ver = json_object_get(root, "Version");
		return json_is_integer(ver) && json_integer_value(ver) == 1
		    ? NULL
		    : "Version is not 1";
	}
	code = json_string_value(json_object_get(root, "Code"));
	return code == NULL || strcmp(code, "Success") == 0
	    ? NULL
	    : "Code is not Success";
}

enum ms_status
aws_creds_from_json(const char *body, size_t len, enum aws_creds_doc doc,
    const char *what, struct aws_creds *out, struct ms_err *err)
{
	json_t *root;
	json_error_t jerr;
	const char *id, *secret, *token, *exp, *refused;
	long long expires = 0;
	enum ms_status st;

	(void)aws_json_wipe_enable(); /* links aws_json.c: wiping frees */

	if (body == NULL ||
	    (root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) ==
		NULL ||
	    !json_is_object(root)) {
		if (body != NULL && root != NULL)
			json_decref(root);
		return ms_err_set(err, MS_TEMP,
		    "aws: %s credentials are not a JSON object", what);
	}
	id = json_string_value(json_object_get(root, "AccessKeyId"));
	secret = json_string_value(json_object_get(root, "SecretAccessKey"));
	token = json_string_value(json_object_get(
	    root, doc == AWS_DOC_PROCESS ? "SessionToken" : "Token"));
	exp = json_string_value(json_object_get(root, "Expiration"));
	if ((refused = envelope_refused(root, doc)) != NULL)
		st = ms_err_set(
		    err, MS_TEMP, "aws: %s credentials: %s", what, refused);
	else if (id == NULL || secret == NULL || id[0] == '\0' ||
	    secret[0] == '\0')
		st = ms_err_set(err, MS_TEMP,
		    "aws: %s credentials lack AccessKeyId/SecretAccessKey",
		    what);
	else if (exp != NULL && !aws_time_parse_iso8601(exp, &expires))
		st = ms_err_set(err, MS_TEMP,
		    "aws: %s credentials have a malformed Expiration", what);
	else
		st = aws_creds_set(out, id, secret, token, expires, err);
	/* jansson holds copies of the secret; wipe them before release. */
	if (secret != NULL)
		OPENSSL_cleanse((char *)secret, strlen(secret));
	if (token != NULL)
		OPENSSL_cleanse((char *)token, strlen(token));
	json_decref(root);
	return st;
}

/* ---- sources ---- */

static bool
source_valid(const char *s)
{
	return s == NULL || s[0] == '\0' || strcmp(s, "chain") == 0 ||
	    strcmp(s, "env:") == 0 || strcmp(s, "env") == 0 ||
	    strcmp(s, "imds") == 0 || strcmp(s, "container") == 0 ||
	    (strncmp(s, "profile:", 8) == 0 && s[8] != '\0') ||
	    (strncmp(s, "file:", 5) == 0 && s[5] == '/') ||
	    (is_secret_source(s) && strchr(s, ':')[1] != '\0');
}

enum ms_status
aws_creds_load(
    const char *source, int flags, struct aws_creds *out, struct ms_err *err)
{
	enum ms_status st;
	bool found;
	char q[256];

	memset(out, 0, sizeof(*out));
	if (!source_valid(source))
		return ms_err_set(err, MS_CONFIG,
		    "aws: unknown credentials source %s (chain, env:, "
		    "profile:NAME, file:/PATH, secretsmanager:NAME, "
		    "ssm:/PATH, imds, container)",
		    ms_quote(q, sizeof(q), source, strlen(source)));
	if (source == NULL || source[0] == '\0' || strcmp(source, "chain") == 0)
		return aws_creds_from_chain(NULL, flags, out, err);
	if (strncmp(source, "env", 3) == 0) {
		if ((st = aws_creds_from_env(&found, out, err)) != MS_OK)
			return st;
		return found ? MS_OK
			     : ms_err_set(err, MS_CONFIG,
				   "aws: AWS_ACCESS_KEY_ID / "
				   "AWS_SECRET_ACCESS_KEY not set");
	}
	if (strncmp(source, "profile:", 8) == 0)
		return aws_creds_from_chain(source + 8, flags, out, err);
	if (strncmp(source, "file:", 5) == 0)
		return aws_creds_from_file(source + 5, out, err);
	if (is_secret_source(source))
		return aws_creds_from_secret(source, NULL, out, err);
	if (strcmp(source, "container") == 0)
		return aws_creds_from_container(out, err);
	return aws_creds_from_imds(flags & AWS_CREDS_IMDS_V1, out, err);
}

enum ms_status
aws_creds_provider_new(struct aws_creds_provider **out, const char *source,
    int flags, struct ms_err *err)
{
	struct aws_creds_provider *p;
	char q[256];

	*out = NULL;
	if (!source_valid(source))
		return ms_err_set(err, MS_CONFIG,
		    "aws: unknown credentials source %s",
		    ms_quote(q, sizeof(q), source, strlen(source)));
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->source = strdup(source ? source : "chain")) == NULL) {
		free(p);
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	p->flags = flags;
	*out = p;
	return MS_OK;
}

enum ms_status
aws_creds_get(struct aws_creds_provider *p, long long now,
    const struct aws_creds **creds, struct ms_err *err)
{
	struct aws_creds fresh;
	enum ms_status st;

	*creds = NULL;
	/* A key pair kept in a secret is read again after secret_ttl. */
	if (p->have && is_secret_source(p->source) &&
	    (now - p->loaded_at >= aws_secret_ttl() || now < p->loaded_at))
		p->have = false;
	if (p->have &&
	    (p->creds.expires == 0 ||
		p->creds.expires - now > AWS_CREDS_REFRESH_MARGIN)) {
		*creds = &p->creds;
		return MS_OK;
	}
	if (is_secret_source(p->source))
		st = aws_creds_from_secret(
		    p->source, p->region[0] ? p->region : NULL, &fresh, err);
	else
		st = aws_creds_load(p->source, p->flags, &fresh, err);
	if (st == MS_OK && p->role_arn != NULL) {
		/* The relay's role (a central sending account): assume it
		 * with the source's credentials, in the relay's region. */
		struct aws_sts_params sp = { 0 };
		struct aws_creds src = fresh;

		sp.role_arn = p->role_arn;
		sp.external_id = p->external_id;
		sp.region = p->region[0] ? p->region : NULL;
		st = aws_creds_from_sts(&sp, &src, &fresh, err);
		aws_creds_free(&src);
	}
	if (st != MS_OK) {
		if (p->have && p->creds.expires > now) {
			log_msg(LOG_WARNING,
			    "aws: credentials refresh failed, "
			    "using the current ones until they expire: %s",
			    err->msg);
			*creds = &p->creds;
			return MS_OK;
		}
		return st;
	}
	aws_creds_free(&p->creds);
	p->creds = fresh;
	p->have = true;
	p->loaded_at = now;
	if (p->creds.expires != 0 && p->creds.expires <= now)
		log_msg(LOG_WARNING,
		    "aws: fetched credentials are already "
		    "expired (clock skew?)");
	*creds = &p->creds;
	return MS_OK;
}

void
aws_creds_provider_set_region(struct aws_creds_provider *p, const char *region)
{
	if (p != NULL)
		snprintf(p->region, sizeof(p->region), "%s",
		    region != NULL ? region : "");
}

enum ms_status
aws_creds_provider_set_role(struct aws_creds_provider *p, const char *role_arn,
    const char *external_id, struct ms_err *err)
{
	free(p->role_arn);
	free(p->external_id);
	p->role_arn = role_arn ? strdup(role_arn) : NULL;
	p->external_id = external_id ? strdup(external_id) : NULL;
	if ((role_arn && !p->role_arn) || (external_id && !p->external_id))
		return ms_err_set(err, MS_TEMP, "out of memory");
	aws_creds_free(&p->creds);
	p->have = false;
	return MS_OK;
}

void
aws_creds_invalidate(struct aws_creds_provider *p)
{
	if (p == NULL)
		return;
	/* A rejected key pair from a secret: read the secret again. */
	if (is_secret_source(p->source))
		aws_secret_cache_clear();
	aws_creds_free(&p->creds);
	p->have = false;
}

void
aws_creds_provider_free(struct aws_creds_provider *p)
{
	if (p == NULL)
		return;
	aws_creds_free(&p->creds);
	free(p->source);
	free(p->role_arn);
	free(p->external_id);
	free(p);
}
