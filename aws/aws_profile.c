/*
 * aws_profile.c - the shared credentials and config files as botocore
 *                 reads them: one profile's keys, merged from both files.
 *
 * API:    aws_profile_files_load(), aws_profile_files_free(),
 *         aws_profile_exists(), aws_profile_get(), aws_profile_get_in()
 *         (aws_provider.h); aws_profile_region() (aws_creds.h).
 * Rules:  the credentials file ($AWS_SHARED_CREDENTIALS_FILE, else
 *         ~/.aws/credentials) has sections named after the profile; the
 *         config file ($AWS_CONFIG_FILE, else ~/.aws/config) has
 *         [profile NAME], and [default] or [profile default] for the
 *         default profile. A key in the credentials file wins over the
 *         same key in the config file (botocore's full_config). Key names
 *         are case-insensitive (Python's configparser lower-cases them);
 *         profile names are not.
 * Trust:  flusher only. Both buffers are wiped when freed.
 * Errors: returns an ms_status; the reason goes into the caller's ms_err.
 */
#include "config.h"

#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aws_provider.h"

static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && h[0] != '\0')
		return h;
	pw = getpwuid(getuid());
	return pw ? pw->pw_dir : NULL;
}

static enum ms_status
file_path(char *out, size_t outlen, const char *envname, const char *leaf,
    struct ms_err *err)
{
	const char *f = getenv(envname), *home = home_dir();
	int n;

	if (f != NULL && f[0] != '\0')
		n = snprintf(out, outlen, "%s", f);
	else
		n = snprintf(out, outlen, "%s/.aws/%s",
		    home ? home : "/nonexistent", leaf);
	if (n < 0 || (size_t)n >= outlen)
		return ms_err_set(
		    err, MS_CONFIG, "aws: %s path too long", leaf);
	return MS_OK;
}

enum ms_status
aws_profile_files_load(struct aws_profile_files *f, struct ms_err *err)
{
	enum ms_status st;

	memset(f, 0, sizeof(*f));
	if ((st = file_path(f->cred_path, sizeof(f->cred_path),
		 "AWS_SHARED_CREDENTIALS_FILE", "credentials", err)) != MS_OK ||
	    (st = file_path(f->conf_path, sizeof(f->conf_path),
		 "AWS_CONFIG_FILE", "config", err)) != MS_OK)
		return st;
	if (access(f->cred_path, F_OK) == 0 &&
	    (st = aws_file_slurp(f->cred_path, &f->cred, &f->cred_len, err)) !=
		MS_OK)
		return st;
	if (access(f->conf_path, F_OK) == 0 &&
	    (st = aws_file_slurp(f->conf_path, &f->conf, &f->conf_len, err)) !=
		MS_OK) {
		aws_profile_files_free(f);
		return st;
	}
	return MS_OK;
}

void
aws_profile_files_free(struct aws_profile_files *f)
{
	aws_file_slurp_free(f->cred, f->cred_len);
	aws_file_slurp_free(f->conf, f->conf_len);
	f->cred = f->conf = NULL;
	f->cred_len = f->conf_len = 0;
}

/* Does the section header text [b, e) name profile `name`? */
static bool
section_is(const char *b, const char *e, const char *name, bool config)
{
	size_t nl = strlen(name);

	if (config) {
		if ((size_t)(e - b) == 7 && memcmp(b, "default", 7) == 0)
			return strcmp(name, "default") == 0;
		if (e - b < 8 || memcmp(b, "profile", 7) != 0 ||
		    !isspace((unsigned char)b[7]))
			return false;
		b += 7;
		aws_ini_trim(&b, &e);
		if (e - b >= 2 &&
		    ((*b == '"' && e[-1] == '"') ||
			(*b == '\'' && e[-1] == '\''))) {
			b++;
			e--;
		}
	}
	return (size_t)(e - b) == nl && memcmp(b, name, nl) == 0;
}

struct profile_match {
	const char *name;
	bool config;
};

static bool
profile_section(const char *b, const char *e, void *arg)
{
	const struct profile_match *m = arg;

	return section_is(b, e, m->name, m->config);
}

/* Scans text for [name]; with key (case-insensitive), copies its value.
 * Returns 1 found, 0 not found, -1 value too long. key NULL: 1 when the
 * section exists. */
static int
ini_get(const char *text, size_t len, bool config, const char *name,
    const char *key, char *out, size_t outlen)
{
	struct profile_match m = { name, config };
	struct aws_ini_query q = {
		.section_is = profile_section,
		.arg = &m,
		.key = key,
		.key_nocase = true,
	};

	return aws_ini_find(text, len, &q, out, outlen);
}

bool
aws_profile_exists(const struct aws_profile_files *f, const char *name)
{
	return ini_get(f->cred, f->cred_len, false, name, NULL, NULL, 0) == 1 ||
	    ini_get(f->conf, f->conf_len, true, name, NULL, NULL, 0) == 1;
}

int
aws_profile_get_in(const struct aws_profile_files *f, bool config,
    const char *name, const char *key, char *out, size_t outlen)
{
	if (config)
		return ini_get(
		    f->conf, f->conf_len, true, name, key, out, outlen);
	return ini_get(f->cred, f->cred_len, false, name, key, out, outlen);
}

int
aws_profile_get(const struct aws_profile_files *f, const char *name,
    const char *key, char *out, size_t outlen)
{
	int r = aws_profile_get_in(f, false, name, key, out, outlen);

	if (r != 0)
		return r;
	return aws_profile_get_in(f, true, name, key, out, outlen);
}

bool
aws_profile_region(char *out, size_t outlen)
{
	struct aws_profile_files f;
	struct ms_err err;
	const char *name = getenv("AWS_PROFILE");
	int r;

	if (name == NULL || name[0] == '\0')
		name = "default";
	if (aws_profile_files_load(&f, &err) != MS_OK)
		return false;
	r = aws_profile_get(&f, name, "region", out, outlen);
	aws_profile_files_free(&f);
	return r == 1 && out[0] != '\0';
}
