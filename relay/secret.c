/*
 * secret.c - loads secrets from files and the environment.
 *
 * API:    secret_load(), secret_load_in(), secret_forget(), secret_free().
 *         Documented in secret.h.
 * Trust:  the spec comes from the root-owned config; the file it names is
 *         opened with O_NOFOLLOW and checked with fstat on the open
 *         descriptor (no check-then-open race). Secret values never reach
 *         a format string.
 *         "secretsmanager:" and "ssm:" go to aws_secret_load() (aws/),
 *         which caches the value in memory for the run; the copy made
 *         here is wiped by secret_free() like any other.
 * Link:   needs aws/libaws.a (the flusher and the test programs that
 *         use this file link it).
 * Errors: MS_CONFIG for anything the operator must fix, MS_TEMP for
 *         memory and read failures (and AWS network / throttling).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws_secret.h"
#include "secret.h"

static void
wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
secret_free(struct secret *s)
{
	if (s == NULL)
		return;
	if (s->value != NULL) {
		wipe(s->value, s->len + 1);
		free(s->value);
	}
	s->value = NULL;
	s->len = 0;
}

static enum ms_status
take(struct secret *out, const char *v, size_t n, struct ms_err *err,
    const char *what)
{
	if (n > 0 && v[n - 1] == '\n')
		n--;
	if (n > 0 && v[n - 1] == '\r')
		n--;
	if (memchr(v, '\0', n) != NULL)
		return ms_err_set(
		    err, MS_CONFIG, "secret %s holds a NUL byte", what);
	out->value = malloc(n + 1);
	if (out->value == NULL)
		return ms_err_set(err, MS_TEMP,
		    "out of memory loading "
		    "secret %s",
		    what);
	memcpy(out->value, v, n);
	out->value[n] = '\0';
	out->len = n;
	return MS_OK;
}

static enum ms_status
load_env(const char *name, struct secret *out, struct ms_err *err)
{
	const char *v;
	char q[220];

	ms_quote(q, sizeof(q), name, strlen(name));
	if (*name == '\0')
		return ms_err_set(err, MS_CONFIG,
		    "secret source \"env:\" "
		    "names no variable");
	v = getenv(name);
	if (v == NULL)
		return ms_err_set(err, MS_CONFIG,
		    "secret variable %s is not "
		    "set",
		    q);
	if (*v == '\0')
		return ms_err_set(err, MS_CONFIG,
		    "secret variable %s is "
		    "empty",
		    q);
	return take(out, v, strlen(v), err, q);
}

static enum ms_status
load_file(const char *path, struct secret *out, struct ms_err *err)
{
	enum ms_status st = MS_OK;
	struct stat sb;
	char q[220];
	char *buf = NULL;
	size_t have = 0;
	int fd;

	ms_quote(q, sizeof(q), path, strlen(path));
	if (*path != '/')
		return ms_err_set(err, MS_CONFIG,
		    "secret file %s: the path "
		    "must be absolute",
		    q);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;

		return ms_err_set(err, e == ENOMEM ? MS_TEMP : MS_CONFIG,
		    "cannot open secret file %s: %s", q,
		    e == ELOOP ? "it is a symbolic link" : strerror(e));
	}
	if (fstat(fd, &sb) != 0) {
		st = ms_err_set(err, MS_TEMP, "cannot stat secret file %s: %s",
		    q, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		st = ms_err_set(err, MS_CONFIG,
		    "secret file %s is not a "
		    "regular file",
		    q);
		goto out;
	}
	if (sb.st_uid != geteuid() && sb.st_uid != 0) {
		st = ms_err_set(err, MS_CONFIG,
		    "secret file %s is owned by "
		    "uid %ld, not by %ld or root",
		    q, (long)sb.st_uid, (long)geteuid());
		goto out;
	}
	if ((sb.st_mode & 077) != 0) {
		st = ms_err_set(err, MS_CONFIG,
		    "secret file %s is readable "
		    "by others (mode %04o); chmod 600 it",
		    q, (unsigned)(sb.st_mode & 07777));
		goto out;
	}
	if (sb.st_size > SECRET_MAX) {
		st = ms_err_set(err, MS_CONFIG,
		    "secret file %s is larger "
		    "than %d bytes",
		    q, SECRET_MAX);
		goto out;
	}
	buf = malloc(SECRET_MAX + 1);
	if (buf == NULL) {
		st = ms_err_set(err, MS_TEMP,
		    "out of memory loading secret "
		    "file %s",
		    q);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + have, SECRET_MAX + 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = ms_err_set(err, MS_TEMP,
			    "cannot read secret file "
			    "%s: %s",
			    q, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > SECRET_MAX) {
			st = ms_err_set(err, MS_CONFIG,
			    "secret file %s is "
			    "larger than %d bytes",
			    q, SECRET_MAX);
			goto out;
		}
	}
	if (have == 0 || (have == 1 && buf[0] == '\n')) {
		st = ms_err_set(err, MS_CONFIG, "secret file %s is empty", q);
		goto out;
	}
	st = take(out, buf, have, err, q);
out:
	if (buf != NULL) {
		wipe(buf, have);
		free(buf);
	}
	close(fd);
	return st;
}

/* secretsmanager:NAME-or-ARN[#KEY], ssm:/PATH[#KEY]: aws_secret_load
 * names the spec (never the value) in its errors. */
static enum ms_status
load_aws(const char *spec, const char *region, struct secret *out,
    struct ms_err *err)
{
	enum ms_status st;
	char *v = NULL;
	char q[220];

	ms_quote(q, sizeof(q), spec, strlen(spec));
	st = aws_secret_load_in(spec, region, &v, err);
	if (st != MS_OK)
		return st;
	if (v == NULL || *v == '\0')
		st = ms_err_set(err, MS_CONFIG, "secret %s is empty", q);
	else if (strlen(v) > SECRET_MAX)
		st = ms_err_set(err, MS_CONFIG,
		    "secret %s is larger than %d bytes", q, SECRET_MAX);
	else
		st = take(out, v, strlen(v), err, q);
	if (v != NULL) {
		wipe(v, strlen(v));
		free(v);
	}
	return st;
}

void
secret_forget(const char *spec)
{
	if (spec != NULL &&
	    (strncmp(spec, "secretsmanager:", 15) == 0 ||
		strncmp(spec, "ssm:", 4) == 0))
		aws_secret_forget(spec);
}

enum ms_status
secret_load(const char *spec, struct secret *out, struct ms_err *err)
{
	return secret_load_in(spec, NULL, out, err);
}

enum ms_status
secret_load_in(const char *spec, const char *region, struct secret *out,
    struct ms_err *err)
{
	const char *colon;
	char q[220];

	out->value = NULL;
	out->len = 0;
	if (spec == NULL)
		return ms_err_set(err, MS_CONFIG, "no secret source given");
	colon = strchr(spec, ':');
	if (colon == NULL)
		return ms_err_set(err, MS_CONFIG,
		    "secret source must look "
		    "like file:/path or env:NAME");
	if (strncmp(spec, "file:", 5) == 0)
		return load_file(spec + 5, out, err);
	if (strncmp(spec, "env:", 4) == 0)
		return load_env(spec + 4, out, err);
	if (strncmp(spec, "secretsmanager:", 15) == 0 ||
	    strncmp(spec, "ssm:", 4) == 0)
		return load_aws(spec, region, out, err);
	ms_quote(q, sizeof(q), spec, (size_t)(colon - spec));
	return ms_err_set(err, MS_CONFIG,
	    "unknown secret source \"%s:\" "
	    "(use file:/path, env:NAME, secretsmanager:NAME#KEY or "
	    "ssm:/PATH#KEY)",
	    q);
}
