/*
 * pull_msg.c - what one received SQS message says: the envelope in its
 *              mailshim-* attributes (checked like a spool file's, and
 *              against its key), its base64 body, or the SQS Extended
 *              Client pointer to a body in S3.
 *
 * API:    pull_attr_str(), pull_b64_decode(), pull_envelope(),
 *         pull_pointer() (pull_priv.h).
 * Trust:  everything here comes from the queue and is untrusted.
 * Errors: MS_DATA with the reason for anything malformed, MS_TEMP when
 *         memory runs out.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "aws_s3.h"
#include "pull_priv.h"
#include "pulled.h"
#include "relay_sqs.h"
#include "spool.h"

const char *
pull_attr_str(json_t *attrs, const char *name)
{
	return json_string_value(
	    json_object_get(json_object_get(attrs, name), "StringValue"));
}

/* Decodes base64 text (no whitespace) into a malloc'd buffer. */
unsigned char *
pull_b64_decode(const char *in, size_t inlen, size_t *outlen)
{
	unsigned char *out;
	int n;
	size_t pad = 0;

	if (inlen == 0 || inlen % 4 != 0 || inlen > (size_t)1 << 30)
		return NULL;
	if ((out = malloc(inlen / 4 * 3 + 1)) == NULL)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
	if (n < 0) {
		free(out);
		return NULL;
	}
	if (in[inlen - 1] == '=')
		pad++;
	if (in[inlen - 2] == '=')
		pad++;
	*outlen = (size_t)n - pad;
	return out;
}

/* The envelope from the attributes; MS_DATA with the reason if any part
 * is missing or malformed. */
static enum ms_status
envelope_of(json_t *attrs, struct envelope *env, const char **qid,
    const char **key, struct ms_err *err)
{
	const char *v = pull_attr_str(attrs, "mailshim-version");
	const char *sender = pull_attr_str(attrs, "mailshim-sender");
	const char *rcpts = pull_attr_str(attrs, "mailshim-recipients");
	const char *arrival = pull_attr_str(attrs, "mailshim-arrival");
	const char *user = pull_attr_str(attrs, "mailshim-user");
	const char *opts = pull_attr_str(attrs, "mailshim-options");
	json_t *a = NULL, *e;
	size_t i, n;
	enum ms_status st = MS_OK;
	char *end;

	*qid = pull_attr_str(attrs, "mailshim-queue-id");
	*key = pull_attr_str(attrs, "mailshim-key");
	if (v == NULL)
		return ms_err_set(err, MS_DATA,
		    "not a mailshim hand-off (no mailshim-version)");
	if (strcmp(v, "1") != 0)
		return ms_err_set(err, MS_DATA,
		    "hand-off version \"%.20s\" is newer than this mailshim "
		    "(1)",
		    v);
	if (sender == NULL || rcpts == NULL || *qid == NULL || *key == NULL ||
	    arrival == NULL)
		return ms_err_set(err, MS_DATA, "envelope attributes missing");
	n = strlen(sender);
	if (n < 2 || n > 1000 || sender[0] != '<' || sender[n - 1] != '>' ||
	    memchr(sender, '\n', n) != NULL)
		return ms_err_set(err, MS_DATA, "bad mailshim-sender");
	if (!spool_id_valid(*qid) || !pulled_key_valid(*key))
		return ms_err_set(err, MS_DATA, "bad queue id or key");
	env->arrival = strtoll(arrival, &end, 10);
	if (*end != '\0' || env->arrival <= 0)
		return ms_err_set(err, MS_DATA, "bad mailshim-arrival");
	if ((env->sender = strndup(sender + 1, n - 2)) == NULL ||
	    (env->user = strdup(user != NULL ? user : "sqs")) == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	a = json_loads(rcpts, 0, NULL);
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > ENV_MAX_RCPTS)
		st = ms_err_set(err, MS_DATA, "bad mailshim-recipients");
	json_array_foreach(a, i, e)
	{
		const char *r = json_string_value(e);

		if (st != MS_OK)
			break;
		if (r == NULL || r[0] == '\0' || strlen(r) > 1000 ||
		    strpbrk(r, "\r\n") != NULL)
			st = ms_err_set(err, MS_DATA, "bad recipient");
		else
			st = env_add_rcpt(env, r, err);
	}
	json_decref(a);
	if (st != MS_OK || opts == NULL)
		return st;
	a = json_loads(opts, 0, NULL);
	if (!json_is_array(a))
		st = ms_err_set(err, MS_DATA, "bad mailshim-options");
	json_array_foreach(a, i, e)
	{
		const char *o = json_string_value(e);

		if (st != MS_OK)
			break;
		if (o == NULL || strlen(o) > 200 || strpbrk(o, "\r\n") != NULL)
			st = ms_err_set(err, MS_DATA, "bad option");
		else
			st = env_add_opt(env, o, err);
	}
	json_decref(a);
	return st;
}

/* The key must be the one the queue id and recipients give. */
static enum ms_status
key_check(const struct envelope *env, const char *qid, const char *key,
    struct ms_err *err)
{
	char want[RELAY_SQS_KEY_MAX];
	enum ms_status st = relay_sqs_key(qid, (const char *const *)env->rcpts,
	    env->nrcpt, want, sizeof(want), err);

	if (st == MS_OK && strcmp(want, key) != 0)
		st = ms_err_set(err, MS_DATA,
		    "mailshim-key does not match the queue id and recipients");
	return st;
}

/* Reads an SQS Extended Client pointer body into s3 (bucket "" when the
 * body is the message itself). MS_DATA for a malformed pointer. */
enum ms_status
pull_pointer(const char *body, struct s3_ref *s3)
{
	json_t *a;
	const char *b, *k;

	s3->bucket[0] = s3->key[0] = '\0';
	if (body[0] != '[')
		return MS_OK;
	a = json_loads(body, 0, NULL);
	b = json_string_value(
	    json_object_get(json_array_get(a, 1), "s3BucketName"));
	k = json_string_value(json_object_get(json_array_get(a, 1), "s3Key"));
	if (json_array_size(a) != 2 ||
	    strcmp(json_string_value(json_array_get(a, 0))
		    ? json_string_value(json_array_get(a, 0))
		    : "",
		S3_POINTER_CLASS) != 0 ||
	    !aws_s3_key_ok(b) || strchr(b, '/') != NULL || !aws_s3_key_ok(k) ||
	    strlen(b) >= sizeof(s3->bucket) || strlen(k) >= sizeof(s3->key)) {
		json_decref(a);
		return MS_DATA;
	}
	ms_copy(s3->bucket, sizeof(s3->bucket), b);
	ms_copy(s3->key, sizeof(s3->key), k);
	json_decref(a);
	return MS_OK;
}

enum ms_status
pull_envelope(json_t *attrs, struct envelope *env, const char **qid,
    const char **key, struct ms_err *err)
{
	enum ms_status st = envelope_of(attrs, env, qid, key, err);

	return st == MS_OK ? key_check(env, *qid, *key, err) : st;
}
