/*
 * ms.c - status codes to exit codes, error formatting, safe quoting.
 *
 * API:    see ms.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ms.h"

enum ms_status
ms_err_set(struct ms_err *err, enum ms_status status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return status;
}

static const struct {
	enum ms_status status;
	int exitcode;
	const char *name;
} status_table[] = {
	{ MS_OK, EX_OK, "ok" },
	{ MS_USAGE, EX_USAGE, "usage" },
	{ MS_DATA, EX_DATAERR, "data" },
	{ MS_NOUSER, EX_NOUSER, "nouser" },
	{ MS_PERM, EX_UNAVAILABLE, "perm" },
	{ MS_SOFTWARE, EX_SOFTWARE, "software" },
	{ MS_OSERR, EX_OSERR, "oserr" },
	{ MS_CANTCREAT, EX_CANTCREAT, "cantcreat" },
	{ MS_IOERR, EX_IOERR, "ioerr" },
	{ MS_TEMP, EX_TEMPFAIL, "temp" },
	{ MS_NOPERM, EX_NOPERM, "noperm" },
	{ MS_CONFIG, EX_CONFIG, "config" },
};

int
ms_exitcode(enum ms_status status)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(status_table); i++)
		if (status_table[i].status == status)
			return status_table[i].exitcode;
	return EX_SOFTWARE;
}

const char *
ms_status_name(enum ms_status status)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(status_table); i++)
		if (status_table[i].status == status)
			return status_table[i].name;
	return "unknown";
}

char *
ms_quote(char *out, size_t outlen, const char *in, size_t inlen)
{
	size_t n = 0;

	if (outlen == 0)
		return out;
	for (size_t i = 0; i < inlen && i < 200 && n + 1 < outlen; i++) {
		unsigned char c = (unsigned char)in[i];
		out[n++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	out[n] = '\0';
	return out;
}

void
ms_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (size == 0)
		return;
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

char *
ms_strdup_opt(const char *s, bool *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*oom = true;
	return d;
}

char *
ms_key_fold(char *out, size_t size, const char *key)
{
	size_t n = 0;

	for (; *key != '\0' && n + 1 < size; key++)
		if (*key != '_' && *key != '-')
			out[n++] = (char)tolower((unsigned char)*key);
	out[n] = '\0';
	return out;
}

void *
ms_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t more;

	if (n < *cap)
		return v;
	more = *cap ? *cap * 2 : first;
	if (more <= n || more > SIZE_MAX / elem ||
	    (v = realloc(v, more * elem)) == NULL)
		return NULL;
	*cap = more;
	return v;
}

enum ms_status
ms_open_run_file(
    int dirfd, const char *name, int flags, int *fd, struct ms_err *err)
{
	*fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0 && !(errno == ENOENT && !(flags & O_CREAT)))
		return ms_err_set(err, MS_TEMP, "cannot open run/%s: %s", name,
		    strerror(errno));
	return MS_OK;
}

ssize_t
ms_read_text(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

DIR *
ms_opendir_at(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	int saved;

	if (fd < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return d;
}

long long
ms_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
name_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool
ms_file_name(char *buf, size_t len, const char *prefix, const char *name,
    const char *suffix)
{
	size_t p = strlen(prefix), i;

	if (name == NULL || name[0] == '\0' || strlen(name) > 100 ||
	    p + strlen(name) + strlen(suffix) >= len)
		return false;
	memcpy(buf, prefix, p);
	for (i = 0; name[i] != '\0'; i++)
		buf[p + i] = name_byte(name[i]) || (name[i] == '.' && i > 0)
		    ? name[i]
		    : '_';
	snprintf(buf + p + i, len - p - i, "%s", suffix);
	return true;
}

bool
ms_s3_name_safe(const char *s, bool slash_ok)
{
	if (s == NULL)
		return true;
	if (strstr(s, "..") != NULL || s[0] == '/')
		return false;
	for (; *s != '\0'; s++)
		if (!name_byte(*s) && *s != '.' && !(slash_ok && *s == '/'))
			return false;
	return true;
}
