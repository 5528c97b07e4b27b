/*
 * door_auth.c - AUTH PLAIN (RFC 4616) for the loopback SMTP door,
 *               checked with crypt(3) against a users file.
 *
 * API:    door_auth_plain().  Documented in door_auth.h.
 * Trust:  the response is untrusted: decoded into a bounded buffer,
 *         split on NULs, names checked. The file is opened with
 *         O_NOFOLLOW and checked with fstat on the descriptor. The
 *         decoded password and the file's contents are wiped before
 *         return. Hashes must be modern crypt(3) ones ("$id$...").
 * Errors: see door_auth.h.
 */
#include "config.h"

#include <crypt.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "door_auth.h"

#define USERS_MAX (256 * 1024)
#define PLAIN_MAX 1024

typedef char *(*crypt_r_fn)(
    const char *pass, const char *setting, struct crypt_data *data);

/* libcrypt is loaded only when a client authenticates on the door: every
 * other run of the front end (each cron job, each PHP mail()) would map
 * and relocate it for nothing, and it is most of what the dynamic loader
 * does for `sendmail -t` beyond libc and libconfuse. The set-gid front
 * end runs in the loader's secure mode, so the bare soname is looked up
 * in the system's trusted directories only. */
static crypt_r_fn
load_crypt_r(struct ms_err *err)
{
	static crypt_r_fn fn;
	void *h;

	if (fn != NULL)
		return fn;
	if ((h = dlopen(CRYPT_SONAME, RTLD_NOW | RTLD_LOCAL)) != NULL)
		*(void **)&fn = dlsym(h, "crypt_r");
	if (fn == NULL) {
		const char *why = dlerror();

		ms_err_set(err, MS_TEMP, "cannot load crypt_r from %s: %s",
		    CRYPT_SONAME, why != NULL ? why : "not found");
	}
	return fn;
}

static void
wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict RFC 4648 base64; returns the decoded length or -1. */
static long
b64_decode(const char *in, unsigned char *out, size_t outlen)
{
	size_t n = strlen(in), o = 0;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > outlen)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++) {
			v[k] = in[i + k] == '=' ? -2 : b64val(in[i + k]);
			if (v[k] == -1 || (v[k] == -2 && (i + 4 != n || k < 2)))
				return -1;
		}
		if (v[2] == -2 && v[3] != -2)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (v[2] >= 0)
			out[o++] =
			    (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (v[3] >= 0)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return (long)o;
}

static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DOOR_USER_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || strchr("._@-+", *s)))
			return false;
	return true;
}

/* Reads the whole users file into a malloc'd NUL-terminated buffer. */
static enum ms_status
users_read(const char *path, char **out, size_t *len, struct ms_err *err)
{
	struct stat sb;
	char *buf = NULL;
	size_t have = 0;
	enum ms_status st = MS_OK;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return ms_err_set(err, MS_CONFIG,
		    "cannot open smtpd_users %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (sb.st_uid != 0 && sb.st_uid != geteuid()) ||
	    (sb.st_mode & 007) != 0 || sb.st_size > USERS_MAX) {
		st = ms_err_set(err, MS_CONFIG,
		    "smtpd_users %s must be a regular file owned by root, "
		    "unreadable by others, at most %d bytes",
		    path, USERS_MAX);
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL) {
		st = ms_err_set(err, MS_TEMP, "out of memory");
		goto out;
	}
	while (have < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + have, (size_t)sb.st_size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			st = ms_err_set(
			    err, MS_CONFIG, "cannot read smtpd_users %s", path);
			goto out;
		}
		have += (size_t)n;
	}
	buf[have] = '\0';
	*out = buf;
	*len = have;
	buf = NULL;
out:
	if (buf != NULL) {
		wipe(buf, have);
		free(buf);
	}
	close(fd);
	return st;
}

/* The hash of name in the file text, or NULL. Modifies text. */
static const char *
hash_of(char *text, const char *name)
{
	for (char *line = text; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n'), *colon;

		if (nl != NULL)
			*nl = '\0';
		if (nl != NULL && nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		colon = strchr(line, ':');
		if (line[0] != '#' && colon != NULL) {
			*colon = '\0';
			if (strcmp(line, name) == 0)
				return colon + 1;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return NULL;
}

static bool
same(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	unsigned char d = na != nb;

	for (size_t i = 0; i < na && i < nb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

enum ms_status
door_auth_plain(const char *users_path, const char *b64, char *user,
    size_t ulen, struct ms_err *err)
{
	unsigned char dec[PLAIN_MAX + 1];
	struct crypt_data *cd = NULL;
	crypt_r_fn crypt;
	char *text = NULL, *authz, *authc, *pass;
	const char *hash, *got;
	size_t tlen = 0;
	long n;
	enum ms_status st;

	user[0] = '\0';
	n = b64_decode(b64, dec, PLAIN_MAX);
	if (n < 0)
		return ms_err_set(err, MS_DATA, "AUTH PLAIN: bad base64");
	dec[n] = '\0';
	authz = (char *)dec;
	authc = memchr(dec, '\0', (size_t)n);
	pass = NULL;
	if (authc != NULL)
		pass = memchr(authc + 1, '\0',
		    (size_t)(dec + n - (unsigned char *)(authc + 1)));
	if (authc == NULL || pass == NULL) {
		st = ms_err_set(err, MS_DATA, "AUTH PLAIN: malformed");
		goto out;
	}
	authc++;
	pass++;
	if (!name_ok(authc) || (*authz != '\0' && strcmp(authz, authc) != 0) ||
	    *pass == '\0' ||
	    memchr(pass, '\0', (size_t)(dec + n - (unsigned char *)pass)) !=
		NULL) {
		st = ms_err_set(err, MS_DATA, "AUTH PLAIN: malformed");
		goto out;
	}
	st = users_read(users_path, &text, &tlen, err);
	if (st != MS_OK)
		goto out;
	hash = hash_of(text, authc);
	if (hash == NULL || hash[0] != '$') {
		st = ms_err_set(err, MS_NOPERM, "unknown user %s", authc);
		goto out;
	}
	if ((crypt = load_crypt_r(err)) == NULL) {
		st = MS_TEMP;
		goto out;
	}
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL) {
		st = ms_err_set(err, MS_TEMP, "out of memory");
		goto out;
	}
	got = crypt(pass, hash, cd);
	if (got == NULL || got[0] != '$' || !same(got, hash)) {
		st = ms_err_set(err, MS_NOPERM, "wrong password for %s", authc);
		goto out;
	}
	snprintf(user, ulen, "%s", authc);
	st = MS_OK;
out:
	wipe(dec, sizeof(dec));
	if (cd != NULL) {
		wipe(cd, sizeof(*cd));
		free(cd);
	}
	if (text != NULL) {
		wipe(text, tlen);
		free(text);
	}
	return st;
}
