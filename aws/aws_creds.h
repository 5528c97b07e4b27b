/*
 * aws_creds.h - AWS signing credentials: where they come from (the
 *               standard chain or an explicit source), caching, refresh.
 *
 * API:    aws_creds_provider_new(), aws_creds_get(), aws_creds_invalidate(),
 *         aws_creds_provider_set_region(), aws_creds_provider_set_role(),
 *         aws_creds_provider_free(), aws_creds_load(), aws_creds_free(),
 *         aws_imds_region(), aws_profile_region(), aws_time_parse_iso8601(),
 *         aws_ini_lookup().
 * Trust:  flusher only (reads the environment, $HOME, instance metadata).
 *         Secret keys and tokens are wiped with OPENSSL_cleanse() when
 *         freed, have no print function and never reach a log line.
 * Errors: MS_OK; MS_CONFIG (source malformed, no credentials anywhere,
 *         a named profile missing, SSO, role loops);
 *         MS_TEMP (metadata / container endpoint unreachable, malformed
 *         answer, out of memory).
 *
 * Source strings (the relay's `credentials` key):
 *   "chain" or NULL or ""   the SDK default chain in botocore's order
 *                           (aws_creds_chain.c): environment, assume-role
 *                           profile, web identity, SSO (an error),
 *                           shared credentials file, credential_process,
 *                           config file, container (ECS / EKS Pod
 *                           Identity), EC2 instance metadata (IMDSv2);
 *                           the profile is AWS_PROFILE or "default".
 *   "env:"                  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *                           AWS_SESSION_TOKEN (or AWS_SECURITY_TOKEN),
 *                           AWS_CREDENTIAL_EXPIRATION (ISO 8601).
 *   "profile:NAME"          the same chain for profile NAME without the
 *                           environment's keys (botocore's
 *                           Session(profile=NAME)); NAME must exist.
 *   "file:/PATH"            a small file readable only by the flusher:
 *                           either "key = value" lines with the keys
 *                           aws_access_key_id, aws_secret_access_key and
 *                           optionally aws_session_token (an INI section
 *                           header is allowed and ignored), or exactly two
 *                           bare lines: the key id, then the secret.
 *                           '#' and ';' start comment lines.
 *   "secretsmanager:NAME[#KEY]", "ssm:/PATH[#KEY]"
 *                           an IAM key pair kept in AWS (JSON with
 *                           aws_access_key_id / aws_secret_access_key,
 *                           or AccessKeyId / SecretAccessKey), fetched
 *                           with the default chain; read again after
 *                           secret_ttl and after aws_creds_invalidate().
 *   "imds" / "container"    only that provider of the chain.
 */
#ifndef MS_AWS_CREDS_H
#define MS_AWS_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#include "ms.h"

struct aws_creds {
	char *key_id;
	char *secret;	   /* wiped on free */
	char *token;	   /* session token or NULL; wiped on free */
	long long expires; /* unix seconds; 0 = does not expire */
};

/* Refresh when fewer than this many seconds remain (botocore's
 * mandatory refresh window). */
#define AWS_CREDS_REFRESH_MARGIN 600

struct aws_creds_provider;

/* Flags for aws_creds_provider_new(). */
#define AWS_CREDS_IMDS_V1                                                      \
	0x1 /* allow IMDSv1 when the v2 token PUT is                           \
	       refused (403/404/405); off by default */

/* Checks the source string and makes a provider; no I/O yet.
 * MS_CONFIG for an unknown source; MS_TEMP when out of memory. */
enum ms_status aws_creds_provider_new(struct aws_creds_provider **out,
    const char *source, int flags, struct ms_err *err);

/* Points *creds at cached credentials valid at `now` for at least
 * AWS_CREDS_REFRESH_MARGIN seconds, fetching them when needed. The
 * pointer stays valid until the next aws_creds_get/invalidate/free on
 * the provider. If a refresh fails while the cached credentials have not
 * expired yet, those are returned (with a log warning). */
enum ms_status aws_creds_get(struct aws_creds_provider *p, long long now,
    const struct aws_creds **creds, struct ms_err *err);

/* The region for a secretsmanager:/ssm: source's name (a relay's
 * region); NULL or "" for none. */
void
aws_creds_provider_set_region(struct aws_creds_provider *p, const char *region);

/* Makes the provider assume role_arn (STS AssumeRole, with external_id
 * when not NULL, in the provider's region) with the source's
 * credentials; the role's temporary credentials are what aws_creds_get
 * returns, refreshed before they expire. MS_TEMP: out of memory. */
enum ms_status aws_creds_provider_set_role(struct aws_creds_provider *p,
    const char *role_arn, const char *external_id, struct ms_err *err);

/* Forgets the cache so the next aws_creds_get fetches again (after an
 * ExpiredToken / InvalidSignature / UnrecognizedClient answer). */
void aws_creds_invalidate(struct aws_creds_provider *p);

void aws_creds_provider_free(struct aws_creds_provider *p);

/* One uncached fetch from a source string (see above). */
enum ms_status aws_creds_load(
    const char *source, int flags, struct aws_creds *out, struct ms_err *err);

/* Wipes and frees the strings; the struct itself is the caller's. */
void aws_creds_free(struct aws_creds *c);

/* The instance's region from IMDSv2 placement/region.
 * MS_TEMP when metadata is unreachable or disabled. */
enum ms_status aws_imds_region(char *out, size_t outlen, struct ms_err *err);

/* The `region` of profile AWS_PROFILE (or default) in the shared files.
 * False when there is none. */
bool aws_profile_region(char *out, size_t outlen);

/* "2026-11-23T14:05:10Z" (also fractional seconds, "+HH:MM" offsets)
 * to unix seconds. Returns false when malformed. */
bool aws_time_parse_iso8601(const char *s, long long *out);

/* Finds key in [section] of INI text (len bytes). Section names are
 * matched after trimming; keys case-sensitively; values are trimmed.
 * (Profiles of the shared files are read by aws_profile.c instead.)
 * Returns 1 found (value copied), 0 not found, -1 value too long. */
int aws_ini_lookup(const char *text, size_t len, const char *section,
    const char *key, char *out, size_t outlen);

/* Wipes a secret string (OPENSSL_cleanse) and frees it; NULL is fine. */
void aws_wipe_free(char *s);

#endif
