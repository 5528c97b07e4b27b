/*
 * relay_sqs.c - the `sqs` transport: hands a message to an Amazon SQS
 *               queue (SendMessage) for `mailshim pull` on another host
 *               to write into its own spool. A message SQS accepted
 *               counts as sent for those recipients.
 *
 * API:    relay_sqs_ops; relay_sqs_key() for the puller's duplicate test.
 * Format: the SQS body is the message exactly as stored (LF line ends,
 *         the flusher's header edits applied), base64. The envelope goes
 *         in message attributes, all prefixed "mailshim-" (spool/README
 *         "SQS hand-off"): version "1", sender "<addr>" ("<>" = null
 *         sender), recipients (JSON array of the open recipients),
 *         queue-id, key (queue id + hash of the recipient set), arrival
 *         and attempts (Number), user and options (JSON array) when set.
 *         FIFO queues (.fifo): MessageGroupId = the route's name,
 *         MessageDeduplicationId = the key. Building the request (and
 *         the S3 pointer for bodies too large for the queue) is
 *         sqs_request.c.
 * Trust:  flusher only; credentials from the AWS chain or `credentials`,
 *         never printed; the message is never logged.
 * Errors: as relay.h. Throttling and 5xx: deferred, not counted; the
 *         queue missing, access or KMS denied: relay held (fail over); a
 *         message SQS refuses (too large, bad characters): dead letter.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "aws_sqs.h"
#include "log.h"
#include "relay.h"
#include "relay_sqs.h"
#include "sqs_priv.h"

#define SQS_HOLD_CONFIG 600 /* queue missing, access denied */

static void
results_set(struct relay_msg *msg, enum ms_status st, const char *reply)
{
	for (size_t i = 0; i < msg->nrcpt; i++) {
		msg->rcpts[i].result = st;
		ms_copy(
		    msg->rcpts[i].reply, sizeof(msg->rcpts[i].reply), reply);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum ms_status
relay_sqs_key(const char *qid, const char *const *rcpts, size_t n, char *out,
    size_t outlen, struct ms_err *err)
{
	const char **sorted = calloc(n + 1, sizeof(*sorted));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = sorted != NULL && ctx != NULL;

	if (ok) {
		memcpy(sorted, rcpts, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_str);
		ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
		for (size_t i = 0; ok && i < n; i++)
			ok = EVP_DigestUpdate(
				 ctx, sorted[i], strlen(sorted[i]) + 1) == 1;
		ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	}
	EVP_MD_CTX_free(ctx);
	free(sorted);
	if (!ok || mdlen < 8)
		return ms_err_set(err, MS_TEMP, "sqs: cannot hash recipients");
	if (snprintf(out, outlen, "%s-%02x%02x%02x%02x%02x%02x%02x%02x", qid,
		md[0], md[1], md[2], md[3], md[4], md[5], md[6],
		md[7]) >= (int)outlen)
		return ms_err_set(err, MS_DATA, "sqs: queue id too long");
	return MS_OK;
}

static enum ms_status
sqs_init(struct relay *r, struct ms_err *err)
{
	const struct relay_conf *rc = r->conf;
	struct sqs_priv *p = calloc(1, sizeof(*p));
	const char *env;

	if (p == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	r->priv = p;
	if (rc->region != NULL)
		ms_copy(p->region, sizeof(p->region), rc->region);
	else if (rc->queue_url == NULL ||
	    !aws_sqs_region_of(rc->queue_url, p->region, sizeof(p->region))) {
		if ((env = getenv("AWS_REGION")) == NULL || env[0] == '\0')
			env = getenv("AWS_DEFAULT_REGION");
		if (env == NULL || env[0] == '\0')
			return ms_err_set(err, MS_CONFIG,
			    "relay %s: no region in queue_url; set region",
			    rc->name);
		ms_copy(p->region, sizeof(p->region), env);
	}
	if (rc->queue_url != NULL) {
		if (strlen(rc->queue_url) >= sizeof(p->url))
			return ms_err_set(err, MS_CONFIG,
			    "relay %s: queue_url too long", rc->name);
		ms_copy(p->url, sizeof(p->url), rc->queue_url);
		aws_sqs_name_of(rc->queue_url, p->name, sizeof(p->name));
	} else {
		ms_quote(
		    p->name, sizeof(p->name), rc->queue, strlen(rc->queue));
	}
	p->fifo = strlen(p->name) > 5 &&
	    strcmp(p->name + strlen(p->name) - 5, ".fifo") == 0;
	return MS_OK;
}

static void
sqs_params(const struct relay *r, struct aws_sqs *q)
{
	const struct sqs_priv *p = r->priv;

	memset(q, 0, sizeof(*q));
	q->region = p->region;
	q->endpoint = r->conf->endpoint;
	q->ca_file = r->conf->ca_file;
	q->proxy = r->conf->proxy;
	q->connect_timeout = r->conf->connect_timeout;
	q->timeout = r->conf->timeout;
	q->max_time = r->conf->max_time;
	q->cp = p->cp;
}

/* Credentials provider, queue URL (GetQueueUrl once) and the queue's
 * MaximumMessageSize (asked once; unknown when it cannot be read). */
static enum ms_status
sqs_ready(struct relay *r, struct ms_err *err)
{
	struct sqs_priv *p = r->priv;
	static const char *const names[] = { "MaximumMessageSize", NULL };
	struct aws_sqs q;
	json_t *attrs = NULL;
	enum ms_status st;
	struct ms_err aerr;

	if (p->cp == NULL &&
	    (st = aws_creds_provider_new(
		 &p->cp, r->conf->credentials, 0, err)) != MS_OK)
		return st;
	sqs_params(r, &q);
	if (p->url[0] == '\0') {
		st = aws_sqs_get_queue_url(
		    &q, r->conf->queue, NULL, p->url, sizeof(p->url), err);
		if (st != MS_OK)
			return st;
		log_verbose(
		    "relay %s: queue %s is %s", r->conf->name, p->name, p->url);
	}
	if (!p->attrs_read) {
		p->attrs_read = true;
		if (aws_sqs_attributes(&q, p->url, names, &attrs, &aerr) ==
		    MS_OK) {
			const char *v = json_string_value(
			    json_object_get(attrs, "MaximumMessageSize"));

			p->max_size = v != NULL ? strtol(v, NULL, 10) : 0;
		} else {
			log_verbose("relay %s: MaximumMessageSize unknown: %s",
			    r->conf->name, aerr.msg);
		}
		json_decref(attrs);
	}
	return MS_OK;
}

/* What a failed SendMessage means for the message and the relay. */
static void
failure_apply(struct relay_msg *msg, enum ms_status st,
    const struct aws_sqs_result *res, const char *why)
{
	static const char *const queue_gone[] = { "QueueDoesNotExist",
		"AWS.SimpleQueueService.NonExistentQueue",
		"UnsupportedOperation", "InvalidAddress", "InvalidSecurity",
		NULL };

	if (st == MS_PERM && !aws_error_name_in(res->ae.name, queue_gone)) {
		results_set(msg, MS_PERM, why);
		return;
	}
	results_set(msg, MS_TEMP, why);
	if (st == MS_PERM || st == MS_NOPERM || st == MS_CONFIG ||
	    res->creds_failed) {
		msg->health = RELAY_HOLD;
		msg->hold_seconds = SQS_HOLD_CONFIG;
	} else if (!res->reached || res->status >= 500 || res->status == 0) {
		msg->health = RELAY_FAILED;
	} else {
		msg->no_count = true; /* throttled: not the message's fault */
	}
}

static enum ms_status
sqs_send(struct relay *r, struct relay_msg *msg, struct ms_err *err)
{
	struct sqs_priv *p = r->priv;
	struct aws_sqs q;
	struct aws_sqs_result res;
	const char **addrs = NULL;
	char key[128], id[128], reply[RELAY_REPLY_MAX], *body = NULL;
	char pointer[2048] = "", s3key[1024] = "";
	json_t *req = NULL;
	size_t rawlen = 0, abytes = 0;
	bool s3;
	long limit;
	enum ms_status st;

	msg->health = RELAY_FINE;
	msg->hold_seconds = 0;
	msg->no_count = false;
	msg->remote_id[0] = '\0';
	snprintf(msg->peer, sizeof(msg->peer), "%.100s[sqs:%.120s]",
	    r->conf->name, p->name);
	memset(&res, 0, sizeof(res));
	if ((st = sqs_ready(r, err)) != MS_OK) {
		/* No queue URL yet: the relay cannot work, whatever the
		 * message; a network fault cools it, anything else (queue
		 * missing, access denied, no credentials) holds it. */
		results_set(msg, MS_TEMP, err->msg);
		msg->health =
		    st == MS_TEMP && p->cp != NULL ? RELAY_FAILED : RELAY_HOLD;
		msg->hold_seconds = SQS_HOLD_CONFIG;
		return MS_OK;
	}
	if ((addrs = calloc(msg->nrcpt + 1, sizeof(*addrs))) == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	for (size_t i = 0; i < msg->nrcpt; i++)
		addrs[i] = msg->rcpts[i].addr;
	st = relay_sqs_key(msg->qid, addrs, msg->nrcpt, key, sizeof(key), err);
	free(addrs);
	if (st != MS_OK)
		return st;
	if ((req = sqs_request_build(p, msg, key, &abytes)) == NULL)
		return ms_err_set(
		    err, MS_TEMP, "sqs: cannot build the request");
	limit = p->max_size > 0 ? p->max_size : SQS_HARD_MAX;
	s3 = r->conf->s3_bucket != NULL;
	st = sqs_body_b64(msg,
	    s3 ? (r->conf->max_size > 0 ? r->conf->max_size : SQS_S3_MAX)
	       : limit,
	    &body, &rawlen, err);
	if (st == MS_OK && strlen(body) + abytes > (size_t)limit && s3) {
		/* The Extended Client layout: the body goes to S3, SQS
		 * carries a pointer and the payload's size. */
		st = sqs_s3_offload(r, msg, key, body, req, pointer,
		    sizeof(pointer), &abytes, s3key, sizeof(s3key), err);
		if (st == MS_OK) {
			free(body);
			body = NULL;
		} else {
			results_set(msg, MS_TEMP, err->msg);
			msg->health = st == MS_TEMP ? RELAY_FAILED : RELAY_HOLD;
			msg->hold_seconds = SQS_HOLD_CONFIG;
			st = MS_OK;
			goto out;
		}
	}
	if (st == MS_OK &&
	    strlen(body ? body : pointer) + abytes > (size_t)limit)
		st = MS_DATA;
	if (st == MS_DATA) {
		snprintf(reply, sizeof(reply),
		    "message too large for SQS queue %s: %zu bytes (%zu as "
		    "base64 with the envelope) > MaximumMessageSize %ld%s",
		    p->name, rawlen, 4 * ((rawlen + 2) / 3) + abytes, limit,
		    s3 ? " and larger than what goes through S3 (max_size, "
			 "else 64 MiB)"
		       : ", and no s3_bucket is configured");
		results_set(msg, MS_PERM, reply);
		st = MS_OK;
		goto out;
	}
	if (st != MS_OK)
		goto out;
	if (json_object_set_new(
		req, "MessageBody", json_string(body ? body : pointer)) != 0) {
		st = ms_err_set(err, MS_TEMP, "sqs: out of memory");
		goto out;
	}
	sqs_params(r, &q);
	st = aws_sqs_send(
	    &q, req, body ? body : pointer, id, sizeof(id), &res, err);
	if (st == MS_OK) {
		snprintf(reply, sizeof(reply), "queued in SQS %s as %s%s%s%s%s",
		    p->name, id, s3key[0] ? " (body in s3://" : "",
		    s3key[0] ? r->conf->s3_bucket : "", s3key[0] ? "/" : "",
		    s3key[0] ? s3key : "");
		if (s3key[0])
			ms_copy(reply + strlen(reply),
			    sizeof(reply) - strlen(reply), ")");
		ms_copy(msg->remote_id, sizeof(msg->remote_id), id);
		results_set(msg, MS_OK, reply);
	} else {
		failure_apply(msg, st, &res, err->msg);
		st = MS_OK;
	}
	log_verbose("sqs: %s: %zu recipient(s): %s", msg->qid, msg->nrcpt,
	    msg->nrcpt ? msg->rcpts[0].reply : "");
out:
	json_decref(req);
	free(body);
	return st;
}

/* For `mailshim check`: the queue answers GetQueueAttributes with these
 * credentials; err says its size limit (or why not). */
static enum ms_status
sqs_probe(struct relay *r, struct ms_err *err)
{
	static const char *const names[] = { "MaximumMessageSize",
		"ApproximateNumberOfMessages", NULL };
	struct sqs_priv *p = r->priv;
	struct aws_sqs q;
	json_t *attrs = NULL;
	const char *size, *waiting;
	enum ms_status st;

	if ((st = sqs_ready(r, err)) != MS_OK)
		return st;
	sqs_params(r, &q);
	if ((st = aws_sqs_attributes(&q, p->url, names, &attrs, err)) != MS_OK)
		return st;
	size = json_string_value(json_object_get(attrs, "MaximumMessageSize"));
	waiting = json_string_value(
	    json_object_get(attrs, "ApproximateNumberOfMessages"));
	ms_err_set(err, MS_OK, "queue %s: MaximumMessageSize %s, %s waiting%s",
	    p->name, size != NULL ? size : "?", waiting != NULL ? waiting : "?",
	    r->conf->s3_bucket ? ", larger bodies through S3" : "");
	json_decref(attrs);
	return MS_OK;
}

static void
sqs_destroy(struct relay *r)
{
	struct sqs_priv *p = r->priv;

	if (p == NULL)
		return;
	aws_creds_provider_free(p->cp);
	free(p);
	r->priv = NULL;
}

const struct relay_ops relay_sqs_ops = {
	.type = "sqs",
	.init = sqs_init,
	.send = sqs_send,
	.destroy = sqs_destroy,
	.probe = sqs_probe,
};
