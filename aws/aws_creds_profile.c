/*
 * aws_creds_profile.c - static keys from a profile of the shared files
 *                       (aws_profile.c reads them), and explicit "file:"
 *                       key files.
 *
 * API:    aws_file_slurp(),
 *         aws_file_slurp_free(), aws_creds_from_profile_file(),
 *         aws_creds_from_file() (aws_provider.h).
 * Trust:  flusher only. Secrets are wiped before free and never
 *         formatted into a message.
 * Errors: returns an ms_status; the reason goes into the caller's ms_err.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "aws_creds.h"
#include "aws_provider.h"
#include "aws_request.h"
#include "log.h"

/* ---- files ---- */

/* Reads a small file; *buf is NUL-terminated; wipe it after use.
 * Returns MS_OK, or MS_CONFIG with errno-style text (missing counts). */
enum ms_status
aws_file_slurp(const char *path, char **buf, size_t *len, struct ms_err *err)
{
	char q[256];
	struct stat sb;
	ssize_t n;
	size_t got = 0;
	int fd, e;

	*buf = NULL;
	*len = 0;
	ms_quote(q, sizeof(q), path, strlen(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return ms_err_set(
		    err, MS_CONFIG, "cannot open %s: %s", q, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > AWS_SMALL_FILE_MAX) {
		close(fd);
		return ms_err_set(err, MS_CONFIG,
		    "%s: not a regular file of at most %d bytes", q,
		    AWS_SMALL_FILE_MAX);
	}
	if ((*buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, *buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	e = errno;
	close(fd);
	(*buf)[got] = '\0';
	*len = got;
	if (got != (size_t)sb.st_size) {
		OPENSSL_cleanse(*buf, got);
		free(*buf);
		*buf = NULL;
		return ms_err_set(
		    err, MS_CONFIG, "cannot read %s: %s", q, strerror(e));
	}
	return MS_OK;
}

void
aws_file_slurp_free(char *buf, size_t len)
{
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
}

/* The name of the first [section] header, trimmed. */
static bool
first_section(const char *buf, size_t len, char *out, size_t outlen)
{
	for (const char *p = buf; p < buf + len;) {
		const char *e = memchr(p, '\n', len - (size_t)(p - buf));
		const char *s = p, *t = e ? e : buf + len;

		p = e ? e + 1 : buf + len;
		aws_ini_trim(&s, &t);
		if (s == t || *s != '[')
			continue;
		if (t[-1] != ']' || t - s < 2)
			return false;
		s++;
		t--;
		aws_ini_trim(&s, &t);
		if ((size_t)(t - s) >= outlen)
			return false;
		memcpy(out, s, (size_t)(t - s));
		out[t - s] = '\0';
		return true;
	}
	return false;
}

/* "file:PATH": key = value lines, or two bare lines (id, secret). */
enum ms_status
aws_creds_from_file(const char *path, struct aws_creds *out, struct ms_err *err)
{
	char *buf = NULL, id[256], secret[256], token[4096], q[256];
	char sect[128];
	const char *lines[2] = { NULL, NULL }, *sp = NULL;
	size_t lens[2] = { 0, 0 }, len, nl = 0;
	enum ms_status st;
	int a, b, c;

	if ((st = aws_file_slurp(path, &buf, &len, err)) != MS_OK)
		return st;
	ms_quote(q, sizeof(q), path, strlen(path));
	a = aws_ini_lookup(buf, len, NULL, "aws_access_key_id", id, sizeof(id));
	if (a == 0 && first_section(buf, len, sect, sizeof(sect)))
		sp = sect; /* "[default]" or any one header: ignored */
	a = aws_ini_lookup(buf, len, sp, "aws_access_key_id", id, sizeof(id));
	b = aws_ini_lookup(
	    buf, len, sp, "aws_secret_access_key", secret, sizeof(secret));
	c = aws_ini_lookup(
	    buf, len, sp, "aws_session_token", token, sizeof(token));
	if (a == 0 && b == 0) {
		/* Sections are allowed: look in the first one too. */
		for (const char *p = buf; p < buf + len;) {
			const char *e =
			    memchr(p, '\n', len - (size_t)(p - buf));
			const char *s = p, *t = e ? e : buf + len;

			p = e ? e + 1 : buf + len;
			aws_ini_trim(&s, &t);
			if (s == t || *s == '#' || *s == ';' || *s == '[')
				continue;
			if (memchr(s, '=', (size_t)(t - s)) != NULL)
				break;
			if (nl < 2) {
				lines[nl] = s;
				lens[nl] = (size_t)(t - s);
			}
			nl++;
		}
		if (nl == 2 && lens[0] < sizeof(id) &&
		    lens[1] < sizeof(secret)) {
			memcpy(id, lines[0], lens[0]);
			id[lens[0]] = '\0';
			memcpy(secret, lines[1], lens[1]);
			secret[lens[1]] = '\0';
			a = b = 1;
			c = 0;
		}
	}
	if (a != 1 || b != 1 || c < 0)
		st = ms_err_set(err, MS_CONFIG,
		    "%s: expected aws_access_key_id and aws_secret_access_key "
		    "lines, or two lines: key id, secret",
		    q);
	else
		st = aws_creds_set(
		    out, id, secret, c == 1 ? token : NULL, 0, err);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(token, sizeof(token));
	aws_file_slurp_free(buf, len);
	return st;
}

/* Static keys of profile `name` in one of the shared files. A key id
 * without its secret (or the reverse) is an error, as in botocore. */
enum ms_status
aws_creds_from_profile_file(const struct aws_profile_files *f, bool config,
    const char *name, bool *found, struct aws_creds *out, struct ms_err *err)
{
	char id[256], secret[256], token[4096], q[200];
	enum ms_status st = MS_OK;
	int a, b, c;

	*found = false;
	a = aws_profile_get_in(
	    f, config, name, "aws_access_key_id", id, sizeof(id));
	b = aws_profile_get_in(
	    f, config, name, "aws_secret_access_key", secret, sizeof(secret));
	c = aws_profile_get_in(
	    f, config, name, "aws_session_token", token, sizeof(token));
	if (a == 1 && b == 1 && c >= 0 && id[0] && secret[0]) {
		*found = true;
		st = aws_creds_set(
		    out, id, secret, c == 1 ? token : NULL, 0, err);
	} else if (a != 0 || b != 0) {
		st = ms_err_set(err, MS_CONFIG,
		    "aws: profile %s in %s has a partial or overlong "
		    "aws_access_key_id / aws_secret_access_key pair",
		    ms_quote(q, sizeof(q), name, strlen(name)),
		    config ? f->conf_path : f->cred_path);
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(token, sizeof(token));
	return st;
}
