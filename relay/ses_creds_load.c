/*
 * ses_creds_load.c - where an ses relay's SMTP user name and password
 *                    come from: username + password keys, a secret
 *                    reference (file:, env:, secretsmanager:, ssm:) in
 *                    ses_creds.h's text or as a JSON object, or the AWS
 *                    credential chain, from whose long-term key the
 *                    region's SMTP password is derived.
 *
 * API:    ses_creds_load().  Documented in ses_creds.h.
 * Trust:  secrets are wiped after use and never reach a message; temporary
 *         (ASIA...) keys are refused for SMTP with the reason.
 * Errors: MS_CONFIG for unusable credentials, MS_TEMP otherwise.
 */
#include "config.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "secret.h"
#include "ses_creds.h"
#include "ses_password.h"

/* Key id + secret from the AWS credential sources (chain, profile:,
 * env:, imds, container). */
static enum ms_status
creds_from_aws(const char *source, const char *region, struct ses_creds *c,
    struct ms_err *err)
{
	struct aws_creds ac;
	enum ms_status st;

	memset(&ac, 0, sizeof(ac));
	memset(c, 0, sizeof(*c));
	st = aws_creds_load(source, 0, &ac, err);
	if (st != MS_OK)
		return st;
	if (ac.token != NULL || ses_key_is_temporary(ac.key_id)) {
		st = ms_err_set(err, MS_CONFIG,
		    "credentials \"%s\" are "
		    "temporary AWS keys (a role or SSO session); SES SMTP "
		    "needs "
		    "a long-term IAM user key (or use transport = \"api\")",
		    source);
	} else if (strlen(ac.key_id) >= sizeof(c->username)) {
		st = ms_err_set(err, MS_CONFIG, "access key id too long");
	} else {
		snprintf(c->username, sizeof(c->username), "%s", ac.key_id);
		st = ses_password_derive(ac.secret, strlen(ac.secret), region,
		    c->password, NULL, err);
	}
	aws_creds_free(&ac);
	if (st != MS_OK)
		ses_creds_wipe(c);
	return st;
}

/* A JSON object secret (Secrets Manager, SSM) as ses_creds.h text:
 * "smtp_username"/"smtp_password" (also "username"/"user",
 * "password"/"pass") or "aws_access_key_id"/"aws_secret_access_key"
 * (also "AccessKeyId"/"SecretAccessKey"), names compared without case,
 * '_' and '-'. Anything else is returned as is. The result is wiped
 * and freed by the caller (secret_free). */
static const struct {
	const char *json, *line;
} json_keys[] = {
	{ "smtpusername", "smtp_username" },
	{ "smtpuser", "smtp_username" },
	{ "username", "smtp_username" },
	{ "user", "smtp_username" },
	{ "smtppassword", "smtp_password" },
	{ "smtppass", "smtp_password" },
	{ "password", "smtp_password" },
	{ "pass", "smtp_password" },
	{ "awsaccesskeyid", "aws_access_key_id" },
	{ "accesskeyid", "aws_access_key_id" },
	{ "awssecretaccesskey", "aws_secret_access_key" },
	{ "secretaccesskey", "aws_secret_access_key" },
	{ "awssessiontoken", "aws_session_token" },
	{ "sessiontoken", "aws_session_token" },
};

static const char *
json_key_line(const char *k)
{
	char norm[64];

	ms_key_fold(norm, sizeof(norm), k);
	for (size_t i = 0; i < sizeof(json_keys) / sizeof(json_keys[0]); i++)
		if (strcmp(norm, json_keys[i].json) == 0)
			return json_keys[i].line;
	return NULL;
}

static enum ms_status
json_creds_text(struct secret *sec, struct ms_err *err)
{
	json_t *root, *v;
	const char *k;
	char *text = NULL;
	size_t len = 0, cap;
	enum ms_status st = MS_OK;

	if (sec->len == 0 || sec->value[0] != '{')
		return MS_OK;
	root = json_loadb(sec->value, sec->len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return ms_err_set(err, MS_CONFIG,
		    "credentials secret starts with '{' but is not a JSON "
		    "object");
	}
	cap = sec->len + 256;
	if ((text = malloc(cap)) == NULL) {
		st = ms_err_set(err, MS_TEMP, "out of memory");
		goto out;
	}
	json_object_foreach(root, k, v)
	{
		const char *line = json_key_line(k), *s = json_string_value(v);
		int n;

		if (line == NULL || s == NULL)
			continue;
		if (strpbrk(s, "\r\n") != NULL) {
			st = ms_err_set(err, MS_CONFIG,
			    "credentials secret: value of %s holds a line "
			    "break",
			    line);
			goto out;
		}
		n = snprintf(text + len, cap - len, "%s = %s\n", line, s);
		if (n < 0 || (size_t)n >= cap - len) {
			st = ms_err_set(
			    err, MS_CONFIG, "credentials secret is too long");
			goto out;
		}
		len += (size_t)n;
	}
	secret_free(sec);
	sec->value = text;
	sec->len = len;
	text = NULL;
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, cap);
		free(text);
	}
	json_decref(root); /* jansson frees its strings unwiped; the
			      caller's copy is wiped */
	return st;
}

enum ms_status
ses_creds_load(
    const struct relay_conf *rc, struct ses_creds *c, struct ms_err *err)
{
	struct secret sec;
	enum ms_status st;
	const char *spec = rc->credentials;

	memset(c, 0, sizeof(*c));
	if (spec == NULL && rc->username != NULL && rc->password != NULL) {
		/* username + password, as in an smtp relay. */
		st = secret_load_in(rc->password, rc->region, &sec, err);
		if (st != MS_OK)
			return st;
		while (sec.len > 0 &&
		    (sec.value[sec.len - 1] == '\n' ||
			sec.value[sec.len - 1] == '\r'))
			sec.value[--sec.len] = '\0';
		if (strlen(rc->username) >= sizeof(c->username) ||
		    sec.len >= sizeof(c->password) || sec.len == 0)
			st = ms_err_set(err, MS_CONFIG,
			    "username or password "
			    "is empty or too long");
		else if (ses_key_is_temporary(rc->username))
			st = ms_err_set(err, MS_CONFIG,
			    "username is a "
			    "temporary (ASIA...) key id; SES SMTP needs a "
			    "long-term IAM user key");
		else {
			snprintf(c->username, sizeof(c->username), "%s",
			    rc->username);
			memcpy(c->password, sec.value, sec.len);
		}
		secret_free(&sec);
		return st;
	}
	if (spec != NULL &&
	    (strncmp(spec, "file:", 5) == 0 ||
		strncmp(spec, "secretsmanager:", 15) == 0 ||
		strncmp(spec, "ssm:", 4) == 0 ||
		(strncmp(spec, "env:", 4) == 0 && spec[4] != '\0'))) {
		st = secret_load_in(spec, rc->region, &sec, err);
		if (st != MS_OK)
			return st;
		st = json_creds_text(&sec, err);
		if (st == MS_OK)
			st = ses_creds_parse(
			    sec.value, sec.len, rc->region, c, err);
		secret_free(&sec);
		return st;
	}
	/* chain, "", env:, profile:NAME, imds, container. */
	return creds_from_aws(spec, rc->region, c, err);
}
