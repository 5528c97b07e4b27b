/*
 * aws_provider.h - the credential providers the chain in aws_creds.c
 *                  calls, one per file, and the helpers they share.
 *                  Internal to aws/: callers use aws_creds.h.
 *
 * Files:  aws_creds_env.c        AWS_ACCESS_KEY_ID and friends
 *         aws_creds_profile.c    shared credentials / config files, and
 *                                explicit "file:" key files
 *         aws_creds_container.c  ECS / EKS Pod Identity endpoint
 *         aws_creds_imds.c       EC2 instance metadata (IMDSv2)
 * Errors: as aws_creds.h: MS_CONFIG for a malformed or missing source,
 *         MS_TEMP for an unreachable endpoint or out of memory. *found
 *         says whether a provider had anything at all (the chain goes on
 *         when it did not).
 */
#ifndef MS_AWS_PROVIDER_H
#define MS_AWS_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "aws_creds.h"
#include "ms.h"

#define AWS_SMALL_FILE_MAX (64 * 1024)

/* Fills c with copies of the given values (token may be NULL or ""). */
enum ms_status
aws_creds_set(struct aws_creds *c, const char *id, const char *secret,
    const char *token, long long expires, struct ms_err *err);

/* Reads a small file; *buf is NUL-terminated; wipe it after use.
 * Returns MS_OK, or MS_CONFIG with errno-style text (missing counts). */
enum ms_status
aws_file_slurp(const char *path, char **buf, size_t *len, struct ms_err *err);

/* Wipes and frees what aws_file_slurp() returned. */
void aws_file_slurp_free(char *buf, size_t len);

/* A JSON credential document (IMDS, container endpoint): AccessKeyId,
 * SecretAccessKey, Token, Expiration; what names the source in errors. */
enum ms_status aws_creds_from_json(const char *body, size_t len,
    const char *what, struct aws_creds *out, struct ms_err *err);

/* The environment; *found is false when AWS_ACCESS_KEY_ID is not set. */
enum ms_status
aws_creds_from_env(bool *found, struct aws_creds *out, struct ms_err *err);

/* Shared credentials file [name], then config file [profile name]. */
enum ms_status aws_creds_from_profile(
    const char *name, bool *found, struct aws_creds *out, struct ms_err *err);

/* "file:PATH": key = value lines, or two bare lines (id, secret). */
enum ms_status aws_creds_from_file(
    const char *path, struct aws_creds *out, struct ms_err *err);

/* The container endpoint named by AWS_CONTAINER_CREDENTIALS_*_URI. */
enum ms_status
aws_creds_from_container(struct aws_creds *out, struct ms_err *err);

/* True when AWS_EC2_METADATA_DISABLED is "true". */
bool aws_imds_disabled(void);

/* The instance role's credentials through IMDSv2 (v1 only if allowed). */
enum ms_status
aws_creds_from_imds(bool allow_v1, struct aws_creds *out, struct ms_err *err);

#endif
