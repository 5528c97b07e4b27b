/*
 * aws_secret.h - secrets kept in AWS: Secrets Manager and SSM Parameter
 *                Store, for relay passwords and keys.
 *
 * API:    aws_secret_load(), aws_secret_load_in(), aws_secret_select(),
 *         aws_secret_cache_clear(), aws_secret_forget(), aws_secret_set_ttl(),
 *         aws_secret_ttl().
 * Trust:  flusher only. Uses the default credential chain; the region is
 *         the ARN's, the caller's, AWS_REGION / AWS_DEFAULT_REGION, the
 *         profile's, else instance metadata's (none: MS_CONFIG);
 *         AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_SSM /
 *         AWS_ENDPOINT_URL and AWS_CA_BUNDLE. Values are cached in this
 *         process's memory only (never on disk) for aws_secret_ttl()
 *         seconds, then read again (rotation); wiped when dropped, and
 *         never logged.
 * Errors: MS_OK; MS_CONFIG (bad spec, secret or key not found, access
 *         denied, no region); MS_TEMP (network, throttling, service).
 *
 * Specs:
 *   secretsmanager:NAME-or-ARN[#KEY]   GetSecretValue (AWSCURRENT),
 *                                      SecretString
 *   ssm:/PATH-or-ARN[#KEY]             GetParameter, WithDecryption
 *   #KEY selects a top-level key of a JSON object value (a string, or a
 *   number given as its JSON text); without #KEY the whole value is used.
 *   The region comes from the ARN when the name is an ARN.
 */
#ifndef MS_AWS_SECRET_H
#define MS_AWS_SECRET_H

#include "ms.h"

/* Fetches (or reuses from the cache) the value for spec. *value is a new
 * string; the caller wipes (OPENSSL_cleanse) and frees it. */
enum ms_status
aws_secret_load(const char *spec, char **value, struct ms_err *err);

/* The same, region (may be NULL) coming after an ARN's and before the
 * environment's (a relay's `region`). */
enum ms_status aws_secret_load_in(
    const char *spec, const char *region, char **value, struct ms_err *err);

/* Picks key from the JSON object text json (see above) into a new
 * string. MS_CONFIG when the text is not an object or the key is absent
 * or not a string/number. */
enum ms_status aws_secret_select(
    const char *json, const char *key, char **out, struct ms_err *err);

/* Seconds a fetched value is reused before it is read again (the
 * `secret_ttl` key; default 5 minutes; 0: read every time). */
#define AWS_SECRET_TTL_DEFAULT 300
void aws_secret_set_ttl(long seconds);
long aws_secret_ttl(void);

/* Wipes and drops every cached value (to follow a rotation after an
 * authentication failure, or on a timer). */
void aws_secret_cache_clear(void);

/* Wipes and drops the cached value of spec (its #key ignored), so the
 * next load reads it from AWS (a relay refused the login with it). */
void aws_secret_forget(const char *spec);

#endif
