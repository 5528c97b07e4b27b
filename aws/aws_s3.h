/*
 * aws_s3.h - the three Amazon S3 object calls the SQS hand-off needs for
 *            messages larger than a queue takes (PutObject, GetObject,
 *            DeleteObject), path-style, SigV4 signing name "s3".
 *
 * API:    aws_s3_put(), aws_s3_get(), aws_s3_delete(), aws_s3_key_ok().
 * Owns:   S3 URLs and answers; nothing about mail.
 * Trust:  flusher only; objects are never logged.
 * Errors: MS_OK for 2xx; MS_TEMP for transport failures, 5xx, 503 Slow
 *         Down and missing credentials; MS_NOPERM for 401/403; MS_PERM
 *         for other 4xx (404 NoSuchKey, NoSuchBucket, ...); MS_CONFIG for
 *         an unusable endpoint or a bucket/key outside the safe alphabet.
 */
#ifndef MS_AWS_S3_H
#define MS_AWS_S3_H

#include <stdbool.h>
#include <stddef.h>

#include "aws_creds.h"
#include "ms.h"

struct aws_s3 {
	const char *region;
	const char *endpoint; /* NULL: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL,
				 https://s3.REGION.amazonaws.com */
	const char *ca_file;
	const char *proxy;
	long connect_timeout; /* seconds, 0 = 10 */
	long timeout;	      /* seconds without progress, 0 = 30 */
	struct aws_creds_provider *cp;
};

/* True when s is usable in a path-style URL unescaped: letters, digits,
 * '-', '_', '.', '/' (no "..", no leading '/'). */
bool aws_s3_key_ok(const char *s);

enum ms_status
aws_s3_put(const struct aws_s3 *s, const char *bucket, const char *key,
    const char *data, size_t len, long *status, struct ms_err *err);

/* *data (malloc'd, NUL-terminated) gets at most max bytes. */
enum ms_status
aws_s3_get(const struct aws_s3 *s, const char *bucket, const char *key,
    size_t max, char **data, size_t *len, long *status, struct ms_err *err);

/* A missing object counts as deleted. */
enum ms_status aws_s3_delete(const struct aws_s3 *s, const char *bucket,
    const char *key, struct ms_err *err);

#endif
