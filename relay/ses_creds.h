/*
 * ses_creds.h - the SMTP user name and password of an ses relay, from the
 *               content of its `credentials` secret.
 *
 * API:    ses_creds_parse(), ses_creds_wipe(); ses_creds_load() (in
 *         ses_creds_load.c: it needs secrets and the AWS chain, while
 *         ses_creds.c stays a pure parser).
 *
 * Format of the secret (a file, an environment variable, ...): lines of
 * `key = value` (or `key=value`); blank lines, `# comments` and
 * `[section]` lines are ignored, so an AWS shared credentials file with one
 * profile works as is. Either
 *     smtp_username = AKIA...        as the SES console shows them
 *     smtp_password = B...
 * or
 *     aws_access_key_id = AKIA...    an IAM user's long-term key: the SMTP
 *     aws_secret_access_key = ...    password is derived for the relay's
 *                                    region, so one file serves relays in
 *                                    several regions
 * Temporary keys (id ASIA..., or an aws_session_token line) are refused:
 * the SES SMTP interface only accepts passwords from long-term IAM user
 * keys (use transport = "api" with role credentials).
 * Trust:  errors name keys and line numbers, never values.
 */
#ifndef MS_SES_CREDS_H
#define MS_SES_CREDS_H

#include <stddef.h>

#include "conf.h"
#include "ms.h"

struct ses_creds {
	char username[128];
	char password[256];
};

/* Parses text[0..len) for region. MS_CONFIG with the reason (no secret)
 * when incomplete, ambiguous, or temporary. */
enum ms_status ses_creds_parse(const char *text, size_t len, const char *region,
    struct ses_creds *out, struct ms_err *err);

/* True when an access key id is a temporary (STS) one. */
int ses_key_is_temporary(const char *key_id);

void ses_creds_wipe(struct ses_creds *c);

/* The SMTP user name and password of relay rc: username + password, a
 * secret reference in the format above or as a JSON object
 * ("smtp_username"/"smtp_password" or "aws_access_key_id"/
 * "aws_secret_access_key", names compared without case, '_' and '-'), or
 * the AWS credential sources (chain, env:, profile:NAME, imds,
 * container), whose long-term key derives the password for rc->region.
 * MS_CONFIG when unusable (temporary keys, empty or too long values). */
enum ms_status ses_creds_load(
    const struct relay_conf *rc, struct ses_creds *c, struct ms_err *err);

#endif
