/*
 * relay_sqs.h - what the `sqs` transport shares with `mailshim pull`:
 *               the key that names one hand-off of one message.
 *
 * API:    relay_sqs_key().
 * Errors: MS_TEMP when hashing fails, MS_DATA when the key does not fit.
 */
#ifndef MS_RELAY_SQS_H
#define MS_RELAY_SQS_H

#include <stddef.h>

#include "ms.h"

#define RELAY_SQS_KEY_MAX 64 /* queue id, '-', 16 hex digits, NUL */

/* "QID-HHHHHHHHHHHHHHHH": the queue id and the first 8 bytes of the
 * SHA-256 of the sorted recipients (each NUL-terminated). The FIFO
 * MessageDeduplicationId, and the name under which the puller records
 * that it took this hand-off. */
enum ms_status relay_sqs_key(const char *qid, const char *const *rcpts,
    size_t n, char *out, size_t outlen, struct ms_err *err);

#endif
