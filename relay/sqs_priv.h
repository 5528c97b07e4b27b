/*
 * sqs_priv.h - what relay_sqs.c (the transport) shares with
 *              sqs_request.c (building what it sends). Only those two
 *              include it.
 */
#ifndef MS_SQS_PRIV_H
#define MS_SQS_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "aws_sqs.h"
#include "relay.h"

#define SQS_HARD_MAX	 1048576	     /* the largest message SQS takes */
#define SQS_S3_MAX	 (64L * 1024 * 1024) /* through S3, without max_size */
#define S3_POINTER_CLASS "software.amazon.payloadoffloading.PayloadS3Pointer"

struct sqs_priv {
	struct aws_creds_provider *cp;
	char url[AWS_SQS_URL_MAX];
	char region[AWS_SQS_REGION_MAX];
	char name[128];
	bool fifo;
	bool attrs_read; /* MaximumMessageSize asked (once) */
	long max_size;	 /* 0: unknown */
};

/* The message as stored, base64 (*out, caller frees); MS_DATA when it
 * is larger than limit bytes (*rawlen says how large). */
enum ms_status sqs_body_b64(struct relay_msg *msg, long limit, char **out,
    size_t *rawlen, struct ms_err *err);

/* The SendMessage request without its body; *bytes counts the
 * attributes as SQS does (names, types, values). NULL: out of memory. */
json_t *sqs_request_build(const struct sqs_priv *p, const struct relay_msg *msg,
    const char *key, size_t *bytes);

/* Puts body into s3_bucket at s3_prefix + key and makes req carry the
 * Extended Client pointer instead: pointer gets the SQS body, req the
 * ExtendedPayloadSize attribute. MS_TEMP when S3 is unreachable,
 * MS_CONFIG when it refuses (bucket missing, access denied). */
enum ms_status sqs_s3_offload(struct relay *r, const struct relay_msg *msg,
    const char *key, const char *body, json_t *req, char *pointer, size_t plen,
    size_t *abytes, char *s3key, size_t klen, struct ms_err *err);

#endif
