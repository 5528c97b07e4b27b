/*
 * aws_error.h - AWS error answers: the error name and message from the
 *               x-amzn-ErrorType header or the JSON body.
 *
 * API:    aws_error_parse(), aws_error_is_auth(), aws_error_name_in().
 * Errors: none; these are pure functions over their inputs.
 */
#ifndef MS_AWS_ERROR_H
#define MS_AWS_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "ms.h"

struct aws_error {
	char name[128];	   /* "MessageRejected", "" when unknown */
	char message[400]; /* service text, quoted (no control bytes) */
};

/* Fills e from the header value (already cut before ':'), else the JSON
 * body's "__type" (the part after '#', as botocore does) or "code", and
 * "message"/"Message". Tolerates a missing or non-JSON body. */
void aws_error_parse(
    const char *hdr_type, const char *body, size_t len, struct aws_error *e);

/* True for credential / signature errors worth one credentials refresh:
 * ExpiredToken(Exception), InvalidSignatureException,
 * SignatureDoesNotMatch, UnrecognizedClientException, IncompleteSignature,
 * InvalidClientTokenId, AuthFailure, RequestExpired (not AccessDenied:
 * fresh credentials do not fix a missing permission). */
bool aws_error_is_auth(const char *name);

/* True when name is one of list (NULL-terminated). */
bool aws_error_name_in(const char *name, const char *const *list);

#endif
