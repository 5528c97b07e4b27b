/*
 * aws_creds_env.c - credentials from the environment, first in the chain:
 *                   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *                   AWS_SESSION_TOKEN (or AWS_SECURITY_TOKEN) and
 *                   AWS_CREDENTIAL_EXPIRATION.
 *
 * API:    aws_creds_from_env() (aws_provider.h).
 * Errors: returns an ms_status; the reason goes into the caller's ms_err.
 */
#include "config.h"

#include <stdlib.h>

#include "aws_provider.h"

enum ms_status
aws_creds_from_env(bool *found, struct aws_creds *out, struct ms_err *err)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");
	const char *exp = getenv("AWS_CREDENTIAL_EXPIRATION");
	long long expires = 0;

	*found = false;
	if (id == NULL || id[0] == '\0' || secret == NULL || secret[0] == '\0')
		return MS_OK;
	if (token == NULL || token[0] == '\0')
		token = getenv("AWS_SECURITY_TOKEN");
	if (exp != NULL && exp[0] != '\0' &&
	    !aws_time_parse_iso8601(exp, &expires))
		return ms_err_set(err, MS_CONFIG,
		    "aws: AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time");
	*found = true;
	return aws_creds_set(out, id, secret, token, expires, err);
}
