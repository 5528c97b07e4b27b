/*
 * pull_priv.h - what flush/pull.c (the receive, write, delete loop) shares
 *               with pull_msg.c (reading one received message) and
 *               pull_queue.c (the SQS client of a queue URL). Only the
 *               pull*.c files include it.
 */
#ifndef MS_PULL_PRIV_H
#define MS_PULL_PRIV_H

#include <stddef.h>

#include <jansson.h>

#include "aws_sqs.h"
#include "envelope.h"
#include "ms.h"
#include "pull.h"

#define PULL_S3_MAX	 (256L * 1024 * 1024) /* payload through S3 */
#define S3_POINTER_CLASS "software.amazon.payloadoffloading.PayloadS3Pointer"

struct s3_ref {
	char bucket[256]; /* "" = the body is the message */
	char key[1024];
};

/* A String message attribute's value, NULL when absent. */
const char *pull_attr_str(json_t *attrs, const char *name);

/* Decodes base64 text (no whitespace) into a malloc'd buffer. */
unsigned char *pull_b64_decode(const char *in, size_t inlen, size_t *outlen);

/* The envelope from the mailshim-* attributes, its queue id and key
 * (pointing into attrs), the key checked against queue id and
 * recipients. MS_DATA with the reason when anything is off. */
enum ms_status pull_envelope(json_t *attrs, struct envelope *env,
    const char **qid, const char **key, struct ms_err *err);

/* Reads an SQS Extended Client pointer body into s3 (bucket "" when the
 * body is the message itself). MS_DATA for a malformed pointer. */
enum ms_status pull_pointer(const char *body, struct s3_ref *s3);

/* Region (o->region, the URL's, AWS_REGION), queue name and client for
 * o->queue_url; q->cp is a new credentials provider (caller frees). */
enum ms_status
pull_client_init(const struct pull_opts *o, char *region, size_t rlen,
    char *name, size_t nlen, struct aws_sqs *q, struct ms_err *err);

#endif
