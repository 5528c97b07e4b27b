/*
 * sqs_request.c - what the `sqs` transport sends: the SendMessage request
 *                 with the envelope in versioned mailshim-* attributes,
 *                 the message as base64, and for a body too large for
 *                 the queue the S3 object plus the SQS Extended Client
 *                 pointer (spool/README "SQS hand-off").
 *
 * API:    sqs_body_b64(), sqs_request_build(), sqs_s3_offload()
 *         (sqs_priv.h).
 * Trust:  flusher only; the message is never logged.
 * Errors: MS_TEMP for memory and reads, MS_DATA for a message over the
 *         limit; sqs_s3_offload as sqs_priv.h says.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "aws_s3.h"
#include "log.h"
#include "relay.h"
#include "sqs_priv.h"

/* The message as stored, base64. Caller frees *out. */
enum ms_status
sqs_body_b64(struct relay_msg *msg, long limit, char **out, size_t *rawlen,
    struct ms_err *err)
{
	off_t size;
	char *raw;
	size_t have = 0, b64len;
	ssize_t n;

	*out = NULL;
	msg_source_rewind(msg->src);
	if ((size = msg_source_size(msg->src)) < 0)
		return ms_err_set(err, MS_TEMP,
		    "sqs: cannot read the message: %s", strerror(errno));
	*rawlen = (size_t)size;
	if (size > limit)
		return MS_DATA;
	if ((raw = malloc((size_t)size + 1)) == NULL)
		return ms_err_set(err, MS_TEMP, "sqs: out of memory");
	msg_source_rewind(msg->src);
	while (have < (size_t)size &&
	    (n = msg_source_read(msg->src, raw + have, (size_t)size - have)) >
		0)
		have += (size_t)n;
	if (have != (size_t)size) {
		free(raw);
		return ms_err_set(err, MS_TEMP,
		    "sqs: the message changed size while being read");
	}
	b64len = 4 * ((have + 2) / 3);
	if ((*out = malloc(b64len + 1)) == NULL) {
		free(raw);
		return ms_err_set(err, MS_TEMP, "sqs: out of memory");
	}
	EVP_EncodeBlock((unsigned char *)*out, (unsigned char *)raw, (int)have);
	(*out)[b64len] = '\0';
	free(raw);
	return MS_OK;
}

static int
attr_add(json_t *attrs, const char *name, const char *type, const char *v,
    size_t *bytes)
{
	*bytes += strlen(name) + strlen(type) + strlen(v);
	return json_object_set_new(attrs, name,
	    json_pack("{s:s,s:s}", "DataType", type, "StringValue", v));
}

static char *
strv_json(const char *const *v, size_t n, const struct relay_rcpt *rcpts)
{
	json_t *a = json_array();
	char *s;

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(
		    a, json_string(rcpts != NULL ? rcpts[i].addr : v[i]));
	s = a != NULL ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

/* The SendMessage request without its body; *bytes counts the
 * attributes as SQS does (names, types, values). */
json_t *
sqs_request_build(const struct sqs_priv *p, const struct relay_msg *msg,
    const char *key, size_t *bytes)
{
	json_t *req = json_object(), *attrs = json_object();
	char sender[1100], num[32], *rcpts = NULL, *opts = NULL;
	int bad = req == NULL || attrs == NULL;

	*bytes = 0;
	rcpts = strv_json(NULL, msg->nrcpt, msg->rcpts);
	snprintf(sender, sizeof(sender), "<%s>",
	    msg->sender != NULL ? msg->sender : "");
	bad |= rcpts == NULL;
	bad |= attr_add(attrs, "mailshim-version", "String", "1", bytes);
	bad |= attr_add(attrs, "mailshim-sender", "String", sender, bytes);
	bad |= !bad &&
	    attr_add(attrs, "mailshim-recipients", "String", rcpts, bytes);
	bad |= attr_add(attrs, "mailshim-queue-id", "String", msg->qid, bytes);
	bad |= attr_add(attrs, "mailshim-key", "String", key, bytes);
	snprintf(num, sizeof(num), "%lld", msg->arrival);
	bad |= attr_add(attrs, "mailshim-arrival", "Number", num, bytes);
	snprintf(num, sizeof(num), "%d", msg->attempts);
	bad |= attr_add(attrs, "mailshim-attempts", "Number", num, bytes);
	if (msg->user != NULL && msg->user[0] != '\0')
		bad |= attr_add(
		    attrs, "mailshim-user", "String", msg->user, bytes);
	if (msg->nopt > 0) {
		opts = strv_json(msg->opts, msg->nopt, NULL);
		bad |= opts == NULL ||
		    attr_add(attrs, "mailshim-options", "String", opts, bytes);
	}
	bad |= json_object_set_new(req, "QueueUrl", json_string(p->url));
	bad |= json_object_set(req, "MessageAttributes", attrs);
	if (p->fifo) {
		char group[129];
		const char *g = msg->route != NULL ? msg->route : "default";
		size_t i;

		/* MessageGroupId: 1..128 of alphanumerics and punctuation */
		for (i = 0; g[i] != '\0' && i < sizeof(group) - 1; i++)
			group[i] = g[i] > 0x20 && g[i] < 0x7f ? g[i] : '_';
		group[i] = '\0';
		bad |= json_object_set_new(
		    req, "MessageGroupId", json_string(i ? group : "default"));
		bad |= json_object_set_new(
		    req, "MessageDeduplicationId", json_string(key));
	}
	free(rcpts);
	free(opts);
	json_decref(attrs);
	if (bad) {
		json_decref(req);
		return NULL;
	}
	return req;
}

/* Puts body into s3_bucket at s3_prefix + key and makes req carry the
 * Extended Client pointer instead: pointer gets the SQS body, req the
 * ExtendedPayloadSize attribute. MS_TEMP when S3 is unreachable,
 * MS_CONFIG when it refuses (bucket missing, access denied). */
enum ms_status
sqs_s3_offload(struct relay *r, const struct relay_msg *msg, const char *key,
    const char *body, json_t *req, char *pointer, size_t plen, size_t *abytes,
    char *s3key, size_t klen, struct ms_err *err)
{
	const struct sqs_priv *p = r->priv;
	struct aws_s3 s3 = { .region = p->region,
		.ca_file = r->conf->ca_file,
		.proxy = r->conf->proxy,
		.connect_timeout = r->conf->connect_timeout,
		.timeout = r->conf->timeout,
		.cp = p->cp };
	json_t *ptr, *attrs = json_object_get(req, "MessageAttributes");
	char size[32], *dump;
	enum ms_status st;
	long status;

	(void)msg;
	if (snprintf(s3key, klen, "%s%s",
		r->conf->s3_prefix ? r->conf->s3_prefix : "", key) >= (int)klen)
		return ms_err_set(err, MS_CONFIG, "s3: key too long");
	st = aws_s3_put(
	    &s3, r->conf->s3_bucket, s3key, body, strlen(body), &status, err);
	if (st != MS_OK) /* never the message's fault: hold the relay */
		return st == MS_TEMP ? MS_TEMP : MS_CONFIG;
	ptr = json_pack("[s,{s:s,s:s}]", S3_POINTER_CLASS, "s3BucketName",
	    r->conf->s3_bucket, "s3Key", s3key);
	dump = ptr != NULL ? json_dumps(ptr, JSON_COMPACT) : NULL;
	json_decref(ptr);
	if (dump == NULL || strlen(dump) >= plen) {
		free(dump);
		return ms_err_set(
		    err, MS_TEMP, "sqs: cannot build the pointer");
	}
	ms_copy(pointer, plen, dump);
	free(dump);
	snprintf(size, sizeof(size), "%zu", strlen(body));
	*abytes +=
	    strlen("ExtendedPayloadSize") + strlen("Number") + strlen(size);
	if (json_object_set_new(attrs, "ExtendedPayloadSize",
		json_pack("{s:s,s:s}", "DataType", "Number", "StringValue",
		    size)) != 0)
		return ms_err_set(err, MS_TEMP, "sqs: out of memory");
	log_verbose("sqs: %s: body (%zu bytes) stored in s3://%s/%s", msg->qid,
	    strlen(body), r->conf->s3_bucket, s3key);
	return MS_OK;
}
