/*
 * aws_sqs.h - Amazon SQS over the AWS JSON protocol (POST /, Content-Type
 *             application/x-amz-json-1.0, X-Amz-Target: AmazonSQS.ACTION,
 *             SigV4 signing name "sqs"): the few calls mailshim needs.
 *
 * API:    aws_sqs_call(), aws_sqs_get_queue_url(), aws_sqs_attributes(),
 *         aws_sqs_send(), aws_sqs_receive(), aws_sqs_delete_batch(),
 *         aws_sqs_region_of(), aws_sqs_name_of(), aws_sqs_md5_hex().
 * Owns:   request and answer shapes of the SQS API (botocore's sqs
 *         service-2.json, protocol "json"); nothing about mail.
 * Trust:  flusher only; credentials come from a provider and are never
 *         printed; message bodies are never logged.
 * Errors: MS_OK for a 2xx answer; MS_TEMP for transport failures, 5xx,
 *         throttling and credentials that cannot be had; MS_NOPERM for
 *         AccessDenied and credentials AWS refuses; MS_PERM for any other
 *         4xx (the request itself is wrong: too large, bad queue...);
 *         MS_CONFIG for an unusable endpoint. res (may be NULL) says what
 *         came back.
 */
#ifndef MS_AWS_SQS_H
#define MS_AWS_SQS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "aws_creds.h"
#include "aws_error.h"
#include "ms.h"

#define AWS_SQS_BATCH	   10 /* ReceiveMessage / DeleteMessageBatch max */
#define AWS_SQS_MAX_WAIT   20 /* WaitTimeSeconds max */
#define AWS_SQS_URL_MAX	   1024
#define AWS_SQS_MAX_ATTRS  10 /* message attributes per message */
#define AWS_SQS_REGION_MAX 64

struct aws_sqs {
	const char *region;   /* signing region */
	const char *endpoint; /* URL or host; NULL: AWS_ENDPOINT_URL_SQS,
				 AWS_ENDPOINT_URL, sqs.REGION.amazonaws.com */
	const char *ca_file;
	const char *proxy;
	long connect_timeout; /* seconds, 0 = 10 */
	long timeout;	      /* seconds without progress, 0 = 30 */
	long max_time;	      /* seconds for a call (plus a long poll's
				 wait), 0 = none */
	struct aws_creds_provider *cp;
};

struct aws_sqs_result {
	long status; /* HTTP status, 0 when none */
	struct aws_error ae;
	char request_id[128];
	bool reached;	   /* the endpoint answered TLS/TCP */
	bool creds_failed; /* no credentials could be had */
};

/* One signed call of ACTION with the JSON object req (not consumed);
 * *out (may be NULL) gets the answer object on MS_OK. wait is a long
 * poll's WaitTimeSeconds (the transfer may be silent that long);
 * resp_max bounds the answer (0: AWS_RESP_MAX). Refreshes the
 * credentials once after an authentication error. */
enum ms_status aws_sqs_call(const struct aws_sqs *q, const char *action,
    json_t *req, long wait, size_t resp_max, json_t **out,
    struct aws_sqs_result *res, struct ms_err *err);

/* GetQueueUrl for a queue name (optionally of another account). */
enum ms_status aws_sqs_get_queue_url(const struct aws_sqs *q, const char *name,
    const char *owner, char *url, size_t urllen, struct ms_err *err);

/* GetQueueAttributes for names (NULL end; {"All"} for every one);
 * *attrs is the "Attributes" object (caller json_decref's). */
enum ms_status aws_sqs_attributes(const struct aws_sqs *q, const char *url,
    const char *const *names, json_t **attrs, struct ms_err *err);

/* SendMessage: req holds QueueUrl, MessageBody = body and the rest;
 * checks MD5OfMessageBody against body, copies MessageId into msgid. */
enum ms_status
aws_sqs_send(const struct aws_sqs *q, json_t *req, const char *body,
    char *msgid, size_t idlen, struct aws_sqs_result *res, struct ms_err *err);

/* ReceiveMessage (max 1..10, wait 0..20 seconds, visibility 0 = the
 * queue's) with every message and system attribute; *msgs is the
 * "Messages" array, maybe empty (caller json_decref's). resp_max as
 * above. */
enum ms_status
aws_sqs_receive(const struct aws_sqs *q, const char *url, int max, int wait,
    int visibility, size_t resp_max, json_t **msgs, struct ms_err *err);

/* DeleteMessageBatch of n (<= 10) receipt handles; ok[i] says which
 * were deleted. MS_OK when the call worked (some may still be false). */
enum ms_status aws_sqs_delete_batch(const struct aws_sqs *q, const char *url,
    const char *const *handles, size_t n, bool *ok, struct ms_err *err);

/* The region in a queue URL (sqs.REGION.amazonaws.com[.cn] or the legacy
 * REGION.queue.amazonaws.com); false when it has none. */
bool aws_sqs_region_of(const char *url, char *region, size_t len);

/* The queue name: the URL's last path segment ("" when none). */
void aws_sqs_name_of(const char *url, char *name, size_t len);

/* Lower-case hex MD5 of data (SQS's MD5OfBody), out[33]. */
void aws_sqs_md5_hex(const void *data, size_t len, char *out);

#endif
