/*
 * aws_provider.h - the credential providers the chain in aws_creds.c
 *                  calls, one per file, and the helpers they share.
 *                  Internal to aws/: callers use aws_creds.h.
 *
 * Files:  aws_creds_chain.c      the SDK chain, in botocore's order
 *         aws_creds_env.c        AWS_ACCESS_KEY_ID and friends
 *         aws_profile.c          reading the shared files
 *         aws_creds_profile.c    static keys of a profile, and explicit
 *                                "file:" key files
 *         aws_creds_sts.c        STS AssumeRole / AssumeRoleWithWebIdentity
 *         aws_creds_process.c    credential_process
 *         aws_creds_secret.c     a key pair kept in Secrets Manager / SSM
 *         aws_json.c             jansson allocators that wipe on free
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

/* The JSON credential documents: the instance metadata and container
 * endpoints' (optional "Code", session token in "Token") and
 * credential_process output ("Version": 1, "SessionToken"). */
enum aws_creds_doc { AWS_DOC_METADATA, AWS_DOC_PROCESS };

/* Reads one: AccessKeyId and SecretAccessKey required, the session token
 * and Expiration (ISO 8601) optional; jansson's copies of the secrets
 * are wiped. what names the source in errors. */
enum ms_status
aws_creds_from_json(const char *body, size_t len, enum aws_creds_doc doc,
    const char *what, struct aws_creds *out, struct ms_err *err);

/* The environment; *found is false when AWS_ACCESS_KEY_ID is not set. */
enum ms_status
aws_creds_from_env(bool *found, struct aws_creds *out, struct ms_err *err);

/* The shared credentials and config files, read once per chain walk
 * (aws_profile.c). Absent files are empty. */
struct aws_profile_files {
	char cred_path[1024], conf_path[1024];
	char *cred, *conf; /* NULL when the file does not exist */
	size_t cred_len, conf_len;
};

enum ms_status
aws_profile_files_load(struct aws_profile_files *f, struct ms_err *err);
void aws_profile_files_free(struct aws_profile_files *f);

/* True when either file has a section for profile name. */
bool aws_profile_exists(const struct aws_profile_files *f, const char *name);

/* A key of profile name (key names case-insensitive): the credentials
 * file's value, else the config file's. 1 found, 0 not, -1 too long. */
int aws_profile_get(const struct aws_profile_files *f, const char *name,
    const char *key, char *out, size_t outlen);

/* The same, in one file only (config true: the config file). */
int aws_profile_get_in(const struct aws_profile_files *f, bool config,
    const char *name, const char *key, char *out, size_t outlen);

/* Static keys of profile name in one file; *found false when absent. */
enum ms_status
aws_creds_from_profile_file(const struct aws_profile_files *f, bool config,
    const char *name, bool *found, struct aws_creds *out, struct ms_err *err);

/* STS AssumeRole (signed with src) or, with web_token set,
 * AssumeRoleWithWebIdentity (unsigned) - aws_creds_sts.c. */
struct aws_sts_params {
	const char *role_arn;
	const char *session_name; /* NULL: mailshim-<unix time> */
	const char *external_id;  /* NULL: none */
	int duration;		  /* seconds, 0: STS default */
	const char *region;	  /* NULL: the global endpoint, us-east-1 */
	const char *web_token;	  /* AssumeRoleWithWebIdentity */
};

enum ms_status aws_creds_from_sts(const struct aws_sts_params *p,
    const struct aws_creds *src, struct aws_creds *out, struct ms_err *err);

/* An IAM key pair kept in Secrets Manager / SSM (aws_creds_secret.c);
 * region: for names that are not ARNs (NULL: environment, profile,
 * IMDS). */
enum ms_status aws_creds_from_secret(const char *spec, const char *region,
    struct aws_creds *out, struct ms_err *err);

/* True when jansson's frees wipe (aws_json.c, installed before main()). */
bool aws_json_wipe_enable(void);

/* Runs a profile's credential_process (no shell) - aws_creds_process.c. */
enum ms_status aws_creds_from_process(
    const char *cmdline, struct aws_creds *out, struct ms_err *err);

/* The whole SDK chain (aws_creds_chain.c). profile NULL: AWS_PROFILE or
 * "default", environment first; else that profile only (no environment
 * keys, as botocore's Session(profile=...)). */
enum ms_status aws_creds_from_chain(
    const char *profile, int flags, struct aws_creds *out, struct ms_err *err);

/* "file:PATH": key = value lines, or two bare lines (id, secret). */
enum ms_status aws_creds_from_file(
    const char *path, struct aws_creds *out, struct ms_err *err);

/* May a container credentials URL be used? https anywhere; http only to
 * loopback, localhost, 169.254.170.2, 169.254.170.23, [fd00:ec2::23]. */
bool aws_container_url_ok(const char *url);

/* The container endpoint named by AWS_CONTAINER_CREDENTIALS_*_URI. */
enum ms_status
aws_creds_from_container(struct aws_creds *out, struct ms_err *err);

/* True when AWS_EC2_METADATA_DISABLED is "true". */
bool aws_imds_disabled(void);

/* The instance role's credentials through IMDSv2 (v1 only if allowed). */
enum ms_status
aws_creds_from_imds(bool allow_v1, struct aws_creds *out, struct ms_err *err);

/* One INI scan (aws_ini.c): section_is decides whether a trimmed
 * section header [b, e) opens the wanted section; before_sections makes
 * the lines before any header count too; key NULL asks only whether the
 * section exists. */
struct aws_ini_query {
	bool (*section_is)(const char *b, const char *e, void *arg);
	void *arg;
	bool before_sections;
	const char *key;
	bool key_nocase;
};

/* 1 found (value copied, trimmed), 0 not found, -1 value too long; text
 * NULL is an empty file. */
int aws_ini_find(const char *text, size_t len, const struct aws_ini_query *q,
    char *out, size_t outlen);

/* Trims white space from both ends of [*b, *e). */
void aws_ini_trim(const char **b, const char **e);

#endif
