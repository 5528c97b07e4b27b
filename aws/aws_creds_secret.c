/*
 * aws_creds_secret.c - an IAM key pair kept in Secrets Manager or SSM
 *                      ("secretsmanager:NAME[#KEY]", "ssm:/PATH[#KEY]"),
 *                      as a credentials source: a static provider from
 *                      explicit keys, read again after secret_ttl or an
 *                      authentication error.
 *
 * API:    aws_creds_from_secret() (aws_provider.h).
 * Format: the secret's value is a JSON object with the key id and secret
 *         under aws_access_key_id / AccessKeyId and
 *         aws_secret_access_key / SecretAccessKey (case, '_' and '-'
 *         ignored; a session token under aws_session_token /
 *         SessionToken), or "key = value" lines with the first names.
 * Trust:  flusher only; the secret is fetched with the default chain
 *         (aws_secret.c) and every copy is wiped.
 * Errors: as aws_secret_load(); MS_CONFIG when the value holds no key
 *         pair (it may hold SMTP credentials instead).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws_provider.h"
#include "aws_secret.h"

/* "AWS_Access-Key_Id" -> "awsaccesskeyid", then the three roles. */
static int
key_role(const char *k)
{
	char norm[64];

	ms_key_fold(norm, sizeof(norm), k);
	if (strcmp(norm, "awsaccesskeyid") == 0 ||
	    strcmp(norm, "accesskeyid") == 0)
		return 0;
	if (strcmp(norm, "awssecretaccesskey") == 0 ||
	    strcmp(norm, "secretaccesskey") == 0)
		return 1;
	if (strcmp(norm, "awssessiontoken") == 0 ||
	    strcmp(norm, "sessiontoken") == 0)
		return 2;
	return -1;
}

static enum ms_status
from_json(const char *text, struct aws_creds *out, struct ms_err *err)
{
	json_t *root = json_loads(text, 0, NULL), *v;
	const char *k, *val[3] = { NULL, NULL, NULL };
	enum ms_status st;

	if (!json_is_object(root)) {
		json_decref(root);
		return ms_err_set(err, MS_CONFIG,
		    "aws: credentials secret is not a JSON object");
	}
	json_object_foreach(root, k, v)
	{
		int role = key_role(k);

		if (role >= 0 && json_is_string(v))
			val[role] = json_string_value(v);
	}
	if (val[0] == NULL || val[1] == NULL || !val[0][0] || !val[1][0])
		st = ms_err_set(err, MS_CONFIG,
		    "aws: credentials secret holds no aws_access_key_id / "
		    "aws_secret_access_key pair");
	else
		st = aws_creds_set(out, val[0], val[1], val[2], 0, err);
	json_object_foreach(root, k, v) if (json_is_string(v)) OPENSSL_cleanse(
	    (char *)json_string_value(v), json_string_length(v));
	json_decref(root);
	return st;
}

static enum ms_status
from_lines(const char *text, struct aws_creds *out, struct ms_err *err)
{
	char id[256], secret[256], token[4096];
	size_t len = strlen(text);
	enum ms_status st;
	int a, b, c;

	a = aws_ini_lookup(
	    text, len, NULL, "aws_access_key_id", id, sizeof(id));
	b = aws_ini_lookup(
	    text, len, NULL, "aws_secret_access_key", secret, sizeof(secret));
	c = aws_ini_lookup(
	    text, len, NULL, "aws_session_token", token, sizeof(token));
	if (a != 1 || b != 1 || c < 0 || !id[0] || !secret[0])
		st = ms_err_set(err, MS_CONFIG,
		    "aws: credentials secret holds no aws_access_key_id / "
		    "aws_secret_access_key pair");
	else
		st = aws_creds_set(
		    out, id, secret, c == 1 ? token : NULL, 0, err);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(token, sizeof(token));
	return st;
}

enum ms_status
aws_creds_from_secret(const char *spec, const char *region,
    struct aws_creds *out, struct ms_err *err)
{
	char *v = NULL;
	const char *p;
	enum ms_status st;

	memset(out, 0, sizeof(*out));
	if ((st = aws_secret_load_in(spec, region, &v, err)) != MS_OK)
		return st;
	for (p = v; isspace((unsigned char)*p); p++)
		;
	st = *p == '{' ? from_json(p, out, err) : from_lines(v, out, err);
	aws_wipe_free(v);
	return st;
}
