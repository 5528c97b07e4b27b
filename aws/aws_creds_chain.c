/*
 * aws_creds_chain.c - the SDK default credential chain in botocore's
 *                     order, and assume-role profiles.
 *
 * API:    aws_creds_from_chain() (aws_provider.h).
 * Order:  1 environment keys (not when a profile was named explicitly
 *           through "profile:NAME");
 *         2 assume-role profile: role_arn with source_profile or
 *           credential_source (Environment, Ec2InstanceMetadata,
 *           EcsContainer), through STS AssumeRole with external_id,
 *           role_session_name, duration_seconds (mfa_serial is an
 *           error: nobody can type the code); a source profile is
 *           resolved by steps 3-7 or, if it has a role_arn and no keys,
 *           by assuming its role (chains; loops are errors);
 *         3 web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE
 *           (+ AWS_ROLE_SESSION_NAME), or the profile's role_arn +
 *           web_identity_token_file, through AssumeRoleWithWebIdentity;
 *         4 SSO (sso_session / sso_start_url): an error - not supported;
 *         5 the shared credentials file's keys;
 *         6 the profile's credential_process;
 *         7 the config file's keys;
 *         8 the container endpoint (AWS_CONTAINER_CREDENTIALS_*_URI);
 *         9 EC2 instance metadata (IMDSv2), unless disabled.
 *         A profile named by AWS_PROFILE or "profile:NAME" that neither
 *         file has is an error naming it, never a fall-through. Once a
 *         step applies (its keys are present), its failure is the
 *         answer: the chain does not go on to another identity.
 * Region: STS calls use AWS_REGION, else AWS_DEFAULT_REGION, else the
 *         profile's region, else us-east-1.
 * Errors: MS_CONFIG for configuration faults (missing profile, loops,
 *         SSO, bad credential_source, nothing found); MS_TEMP for
 *         endpoints that fail.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aws_provider.h"
#include "log.h"

#define CHAIN_DEPTH_MAX 8

struct chain {
	struct aws_profile_files files;
	int flags;
	char region[64];
	const char *visited[CHAIN_DEPTH_MAX];
	size_t nvisited;
};

static const char *
qname(char *q, size_t qlen, const char *s)
{
	return ms_quote(q, qlen, s, strlen(s));
}

static bool
has_key(const struct chain *c, const char *profile, const char *key)
{
	char v[8];

	return aws_profile_get(&c->files, profile, key, v, sizeof(v)) != 0;
}

static bool
has_static(const struct chain *c, const char *profile)
{
	return has_key(c, profile, "aws_access_key_id") ||
	    has_key(c, profile, "aws_secret_access_key");
}

static bool
container_configured(void)
{
	const char *r = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *f = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");

	return (r != NULL && r[0]) || (f != NULL && f[0]);
}

static enum ms_status assume_role(struct chain *c, const char *profile,
    struct aws_creds *out, struct ms_err *err);

/* credential_source = Environment | Ec2InstanceMetadata | EcsContainer */
static enum ms_status
from_credential_source(struct chain *c, const char *profile, const char *source,
    struct aws_creds *out, struct ms_err *err)
{
	char q[200], qs[200];
	enum ms_status st;
	bool found;

	if (strcmp(source, "Environment") == 0) {
		if ((st = aws_creds_from_env(&found, out, err)) != MS_OK)
			return st;
		if (found)
			return MS_OK;
	} else if (strcmp(source, "Ec2InstanceMetadata") == 0) {
		if (!aws_imds_disabled())
			return aws_creds_from_imds(
			    c->flags & AWS_CREDS_IMDS_V1, out, err);
	} else if (strcmp(source, "EcsContainer") == 0) {
		if (container_configured())
			return aws_creds_from_container(out, err);
	} else {
		return ms_err_set(err, MS_CONFIG,
		    "aws: credential_source %s of profile %s is not valid "
		    "(Environment, Ec2InstanceMetadata, EcsContainer)",
		    qname(qs, sizeof(qs), source),
		    qname(q, sizeof(q), profile));
	}
	return ms_err_set(err, MS_CONFIG,
	    "aws: no credentials found in credential_source %s of profile %s",
	    qname(qs, sizeof(qs), source), qname(q, sizeof(q), profile));
}

/* Steps 3-7 for one profile. *found is false when none applies. */
static enum ms_status
profile_steps(struct chain *c, const char *profile, bool env_ok, bool *found,
    struct aws_creds *out, struct ms_err *err)
{
	char tokfile[1024], arn[2048], session[128], proc[4096], q[200];
	const char *e;
	enum ms_status st;
	int r;

	*found = false;
	/* 3 web identity: the environment's, else the profile's */
	tokfile[0] = arn[0] = session[0] = '\0';
	if (env_ok && (e = getenv("AWS_WEB_IDENTITY_TOKEN_FILE")) != NULL)
		snprintf(tokfile, sizeof(tokfile), "%s", e);
	else
		aws_profile_get(&c->files, profile, "web_identity_token_file",
		    tokfile, sizeof(tokfile));
	if (tokfile[0] != '\0') {
		struct aws_sts_params p = { 0 };
		char *tok = NULL;
		size_t toklen = 0;

		if (env_ok && (e = getenv("AWS_ROLE_ARN")) != NULL)
			snprintf(arn, sizeof(arn), "%s", e);
		else
			aws_profile_get(
			    &c->files, profile, "role_arn", arn, sizeof(arn));
		if (env_ok && (e = getenv("AWS_ROLE_SESSION_NAME")) != NULL)
			snprintf(session, sizeof(session), "%s", e);
		else
			aws_profile_get(&c->files, profile, "role_session_name",
			    session, sizeof(session));
		*found = true;
		if (arn[0] == '\0')
			return ms_err_set(err, MS_CONFIG,
			    "aws: web identity is configured but no role ARN "
			    "(AWS_ROLE_ARN or the profile's role_arn)");
		if ((st = aws_file_slurp(tokfile, &tok, &toklen, err)) !=
		    MS_OK) {
			char why[500];

			snprintf(why, sizeof(why), "%.499s", err->msg);
			return ms_err_set(err, MS_CONFIG,
			    "aws: web identity token file: %s", why);
		}
		p.role_arn = arn;
		p.session_name = session[0] ? session : NULL;
		p.region = c->region;
		p.web_token = tok;
		st = aws_creds_from_sts(&p, NULL, out, err);
		aws_file_slurp_free(tok, toklen);
		return st;
	}
	/* 4 SSO */
	if (has_key(c, profile, "sso_session") ||
	    has_key(c, profile, "sso_start_url")) {
		*found = true;
		return ms_err_set(err, MS_CONFIG,
		    "aws: profile %s uses IAM Identity Center (SSO), which "
		    "mailshim does not support: use credential_process (e.g. "
		    "`aws configure export-credentials --profile NAME "
		    "--format process`), a role, or keys",
		    qname(q, sizeof(q), profile));
	}
	/* 5 shared credentials file */
	if ((st = aws_creds_from_profile_file(
		 &c->files, false, profile, found, out, err)) != MS_OK ||
	    *found)
		return st;
	/* 6 credential_process */
	r = aws_profile_get(
	    &c->files, profile, "credential_process", proc, sizeof(proc));
	if (r != 0) {
		*found = true;
		if (r < 0)
			return ms_err_set(err, MS_CONFIG,
			    "aws: credential_process of profile %s is too "
			    "long",
			    qname(q, sizeof(q), profile));
		return aws_creds_from_process(proc, out, err);
	}
	/* 7 config file */
	return aws_creds_from_profile_file(
	    &c->files, true, profile, found, out, err);
}

/* The source credentials of an assume-role profile. */
static enum ms_status
source_creds(struct chain *c, const char *profile, struct aws_creds *out,
    struct ms_err *err)
{
	char src[256], csrc[64], q[200], qs[200];
	int a, b;
	bool found;
	enum ms_status st;

	a = aws_profile_get(
	    &c->files, profile, "source_profile", src, sizeof(src));
	b = aws_profile_get(
	    &c->files, profile, "credential_source", csrc, sizeof(csrc));
	if (a < 0 || b < 0)
		return ms_err_set(err, MS_CONFIG,
		    "aws: profile %s: source_profile or credential_source too "
		    "long",
		    qname(q, sizeof(q), profile));
	if (a == 1 && b == 1)
		return ms_err_set(err, MS_CONFIG,
		    "aws: profile %s has both source_profile and "
		    "credential_source",
		    qname(q, sizeof(q), profile));
	if (a == 0 && b == 0)
		return ms_err_set(err, MS_CONFIG,
		    "aws: profile %s has role_arn but neither source_profile "
		    "nor credential_source",
		    qname(q, sizeof(q), profile));
	if (b == 1)
		return from_credential_source(c, profile, csrc, out, err);
	if (!aws_profile_exists(&c->files, src))
		return ms_err_set(err, MS_CONFIG,
		    "aws: source_profile %s of profile %s does not exist",
		    qname(qs, sizeof(qs), src), qname(q, sizeof(q), profile));
	for (size_t i = 0; i < c->nvisited; i++) {
		if (strcmp(c->visited[i], src) != 0)
			continue;
		/* a profile may name itself to use its own keys */
		if (strcmp(src, profile) == 0 && has_static(c, src))
			break;
		return ms_err_set(err, MS_CONFIG,
		    "aws: source_profile loop at profile %s",
		    qname(qs, sizeof(qs), src));
	}
	if (has_static(c, src) || !has_key(c, src, "role_arn")) {
		if ((st = profile_steps(c, src, false, &found, out, err)) !=
		    MS_OK)
			return st;
		if (!found)
			return ms_err_set(err, MS_CONFIG,
			    "aws: source profile %s has no credentials",
			    qname(qs, sizeof(qs), src));
		return MS_OK;
	}
	return assume_role(c, src, out, err);
}

/* Step 2 for profile (which has role_arn and no web identity file). */
static enum ms_status
assume_role(struct chain *c, const char *profile, struct aws_creds *out,
    struct ms_err *err)
{
	char arn[2048], session[128], ext[1300], dur[32], q[200];
	struct aws_sts_params p = { 0 };
	struct aws_creds src;
	enum ms_status st;

	if (c->nvisited == CHAIN_DEPTH_MAX)
		return ms_err_set(err, MS_CONFIG,
		    "aws: more than %d profiles in a role chain at %s",
		    CHAIN_DEPTH_MAX, qname(q, sizeof(q), profile));
	c->visited[c->nvisited++] = profile;
	if (has_key(c, profile, "mfa_serial"))
		return ms_err_set(err, MS_CONFIG,
		    "aws: profile %s needs an MFA code (mfa_serial), which a "
		    "mail daemon cannot type: use a role without MFA for "
		    "mailshim",
		    qname(q, sizeof(q), profile));
	if (aws_profile_get(&c->files, profile, "role_arn", arn, sizeof(arn)) !=
	    1)
		return ms_err_set(err, MS_CONFIG,
		    "aws: role_arn of profile %s is too long",
		    qname(q, sizeof(q), profile));
	if ((st = source_creds(c, profile, &src, err)) != MS_OK)
		return st;
	p.role_arn = arn;
	if (aws_profile_get(&c->files, profile, "role_session_name", session,
		sizeof(session)) == 1)
		p.session_name = session;
	if (aws_profile_get(
		&c->files, profile, "external_id", ext, sizeof(ext)) == 1)
		p.external_id = ext;
	if (aws_profile_get(&c->files, profile, "duration_seconds", dur,
		sizeof(dur)) == 1) {
		char *end;
		long d = strtol(dur, &end, 10);

		/* botocore ignores a value that is not an integer */
		if (end != dur && *end == '\0' && d > 0 && d < 1000000)
			p.duration = (int)d;
	}
	p.region = c->region;
	st = aws_creds_from_sts(&p, &src, out, err);
	aws_creds_free(&src);
	return st;
}

static void
pick_region(struct chain *c, const char *profile)
{
	const char *r = getenv("AWS_REGION");

	if (r == NULL || r[0] == '\0')
		r = getenv("AWS_DEFAULT_REGION");
	if (r != NULL && r[0] != '\0')
		snprintf(c->region, sizeof(c->region), "%s", r);
	else if (aws_profile_get(&c->files, profile, "region", c->region,
		     sizeof(c->region)) != 1)
		c->region[0] = '\0';
}

static enum ms_status
walk(struct chain *c, const char *profile, bool explicit_profile, bool env_ok,
    struct aws_creds *out, struct ms_err *err)
{
	enum ms_status st;
	bool found;
	char q[200];

	if (explicit_profile && !aws_profile_exists(&c->files, profile))
		return ms_err_set(err, MS_CONFIG,
		    "aws: profile %s not found in %s or %s",
		    qname(q, sizeof(q), profile), c->files.cred_path,
		    c->files.conf_path);
	pick_region(c, profile);
	/* 1 environment */
	if (env_ok) {
		if ((st = aws_creds_from_env(&found, out, err)) != MS_OK ||
		    found)
			return st;
	}
	/* 2 assume-role profile */
	if (has_key(c, profile, "role_arn") &&
	    !has_key(c, profile, "web_identity_token_file"))
		return assume_role(c, profile, out, err);
	/* 3-7 */
	if ((st = profile_steps(c, profile, env_ok, &found, out, err)) !=
		MS_OK ||
	    found)
		return st;
	/* 8 container */
	if (container_configured())
		return aws_creds_from_container(out, err);
	/* 9 instance metadata */
	qname(q, sizeof(q), profile);
	if (aws_imds_disabled())
		return ms_err_set(err, MS_CONFIG,
		    "aws: no credentials in the environment, profile %s or "
		    "container, and instance metadata is disabled",
		    q);
	if ((st = aws_creds_from_imds(
		 c->flags & AWS_CREDS_IMDS_V1, out, err)) != MS_OK) {
		char why[400];

		snprintf(why, sizeof(why), "%.399s", err->msg);
		return ms_err_set(err, st,
		    "aws: no credentials found "
		    "(environment, profile %s, container, instance "
		    "metadata): %s",
		    q, why);
	}
	return MS_OK;
}

enum ms_status
aws_creds_from_chain(
    const char *profile, int flags, struct aws_creds *out, struct ms_err *err)
{
	struct chain c;
	const char *env_profile = getenv("AWS_PROFILE");
	bool explicit_profile = profile != NULL;
	bool env_ok = profile == NULL;
	enum ms_status st;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	c.flags = flags;
	if (profile == NULL) {
		if (env_profile != NULL && env_profile[0] != '\0') {
			profile = env_profile;
			explicit_profile = true;
		} else {
			profile = "default";
		}
	}
	if ((st = aws_profile_files_load(&c.files, err)) != MS_OK)
		return st;
	st = walk(&c, profile, explicit_profile, env_ok, out, err);
	aws_profile_files_free(&c.files);
	return st;
}
