/*
 * oauth2_share.c - one OAuth2 token per relay for every process of the
 *                  flusher: the workers of one `flush --workers N` and
 *                  the runs that follow while the token is good. The
 *                  token lives in the spool's run/ directory:
 *
 *                    run/oauth2-RELAY       the token and its expiry
 *                    run/oauth2-RELAY.lock  flock'd while it is read or
 *                                           fetched (never renamed)
 *                    run/oauth2-RELAY.tmp   the next file, renamed over
 *
 *                  oauth2-RELAY, mode 0600, holds four lines and nothing
 *                  else (never a client secret or key):
 *
 *                    mailshim-oauth2 1
 *                    expires UNIX     when the endpoint said it expires
 *                    refresh UNIX     when we stop using it (before that)
 *                    token TOKEN
 *
 * API:    oauth2_share_get(), oauth2_refresh_in().  Documented in
 *         oauth2.h.
 * Trust:  run/ is the flusher's own 0700 directory, but a file in it is
 *         still only used when it is a regular file (not followed if a
 *         symlink), owned by our effective user, not readable or
 *         writable by group or others, and well formed; anything else
 *         is ignored with a log line and replaced by the next token.
 *         The token never reaches a log line or an error. Buffers that
 *         held it are wiped.
 * Errors: those of the fetch callback; trouble with run/ itself (lock,
 *         write) is logged and the token is fetched or kept unshared.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "oauth2.h"

#define SHARE_FILE_MAX	 (OAUTH2_TOKEN_MAX + 256)
#define SHARE_MAX_AHEAD	 (31LL * 86400) /* a later expiry is damage */
#define SHARE_NAME_MAX	 160
#define SHARE_MAGIC_LINE "mailshim-oauth2 1"

long
oauth2_refresh_in(long expires_in)
{
	long margin;

	if (expires_in <= 0)
		expires_in = 300; /* RFC 6749 5.1: optional; be careful */
	/* "Shortly before": a minute, or a quarter of a short lifetime. */
	margin = expires_in / 4 < 60 ? expires_in / 4 : 60;
	return expires_in - margin;
}

/* A token we may put in a file and an AUTH command: printable, no
 * spaces, bounded. */
static bool
token_ok(const char *t, size_t n)
{
	if (n == 0 || n > OAUTH2_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x21 || t[i] > 0x7e)
			return false;
	return true;
}

static bool
parse_time(const char **p, const char *key, long long *out)
{
	size_t k = strlen(key);
	char *end;

	if (strncmp(*p, key, k) != 0 || (*p)[k] != ' ')
		return false;
	errno = 0;
	*out = strtoll(*p + k + 1, &end, 10);
	if (errno != 0 || end == *p + k + 1 || *end != '\n' || *out <= 0)
		return false;
	*p = end + 1;
	return true;
}

/* Parses buf; on success *token is malloc'd. "" when well formed. */
static const char *
parse(const char *buf, long long now, char **token, long long *refresh_at)
{
	const char *p = buf, *t, *nl;
	long long expires, refresh;
	size_t m = strlen(SHARE_MAGIC_LINE);

	*token = NULL;
	if (strncmp(p, SHARE_MAGIC_LINE, m) != 0 || p[m] != '\n')
		return "not a token file of this version";
	p += m + 1;
	if (!parse_time(&p, "expires", &expires) ||
	    !parse_time(&p, "refresh", &refresh) ||
	    strncmp(p, "token ", 6) != 0)
		return "malformed";
	t = p + 6;
	nl = strchr(t, '\n');
	if (nl == NULL || nl[1] != '\0' || !token_ok(t, (size_t)(nl - t)))
		return "malformed token line";
	if (refresh > expires || expires > now + SHARE_MAX_AHEAD)
		return "impossible expiry";
	*token = strndup(t, (size_t)(nl - t));
	if (*token == NULL)
		return "out of memory";
	*refresh_at = refresh;
	return "";
}

/* Reads run/NAME: *token (malloc'd) and *refresh_at when it may be
 * used; *token NULL when absent, damaged or not ours (said in the log),
 * or due. */
static void
share_read(int runfd, const char *name, const char *relay, long long now,
    char **token, long long *refresh_at)
{
	char *buf = NULL;
	const char *why = NULL;
	char whybuf[120];
	struct stat sb;
	ssize_t n = 0;
	int fd;

	*token = NULL;
	fd =
	    openat(runfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		snprintf(whybuf, sizeof(whybuf), "cannot open it: %s",
		    strerror(errno));
		why = whybuf;
	} else if (fstat(fd, &sb) != 0) {
		snprintf(whybuf, sizeof(whybuf), "cannot stat it: %s",
		    strerror(errno));
		why = whybuf;
	} else if (!S_ISREG(sb.st_mode)) {
		why = "not a regular file";
	} else if (sb.st_uid != geteuid()) {
		snprintf(whybuf, sizeof(whybuf), "owned by uid %lu, not by us",
		    (unsigned long)sb.st_uid);
		why = whybuf;
	} else if ((sb.st_mode & 077) != 0) {
		snprintf(whybuf, sizeof(whybuf),
		    "group or others may reach it (mode %04o, want 0600)",
		    (unsigned)(sb.st_mode & 07777));
		why = whybuf;
	} else if (sb.st_size >= SHARE_FILE_MAX) {
		why = "too large";
	} else if ((buf = malloc(SHARE_FILE_MAX)) == NULL) {
		why = "out of memory";
	} else if ((n = pread(fd, buf, SHARE_FILE_MAX - 1, 0)) < 0) {
		snprintf(whybuf, sizeof(whybuf), "cannot read it: %s",
		    strerror(errno));
		why = whybuf;
	} else {
		buf[n] = '\0';
		if (strlen(buf) != (size_t)n)
			why = "malformed";
		else
			why = parse(buf, now, token, refresh_at);
		if (*why == '\0')
			why = NULL;
	}
	if (fd >= 0)
		close(fd);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, SHARE_FILE_MAX);
		free(buf);
	}
	if (why != NULL) {
		log_msg(LOG_WARNING,
		    "relay %s: ignoring run/%s: %s; a new token replaces it",
		    relay, name, why);
		return;
	}
	if (*token != NULL && *refresh_at <= now) {
		OPENSSL_cleanse(*token, strlen(*token));
		free(*token);
		*token = NULL; /* due: fetch the next one */
	}
}

/* Replaces run/NAME by NAME.tmp; failures are logged (the token is
 * still used, only not shared). */
static void
share_write(int runfd, const char *name, const char *relay, const char *token,
    long long expires, long long refresh)
{
	char tmp[SHARE_NAME_MAX + 8], *buf;
	size_t len = SHARE_FILE_MAX;
	int fd, n;

	buf = malloc(len);
	if (buf == NULL) {
		log_msg(LOG_WARNING, "relay %s: out of memory sharing a token",
		    relay);
		return;
	}
	n = snprintf(buf, len, "%s\nexpires %lld\nrefresh %lld\ntoken %s\n",
	    SHARE_MAGIC_LINE, expires, refresh, token);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	(void)unlinkat(runfd, tmp, 0); /* a leftover: we hold the lock */
	fd = openat(runfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (n < 0 || (size_t)n >= len || fd < 0 || fchmod(fd, 0600) != 0 ||
	    write(fd, buf, (size_t)n) != n || close(fd) != 0 ||
	    renameat(runfd, tmp, runfd, name) != 0) {
		int e = errno;

		if (fd >= 0)
			(void)unlinkat(runfd, tmp, 0);
		log_msg(LOG_WARNING,
		    "relay %s: cannot write run/%s: %s (the token is not "
		    "shared)",
		    relay, name, e ? strerror(e) : "too large");
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
}

enum ms_status
oauth2_share_get(int runfd, const char *relay, const char *refused,
    oauth2_fetch_fn fetch, void *arg, char **token, long long *refresh_at,
    bool *fetched, struct ms_err *err)
{
	char name[SHARE_NAME_MAX], lock[SHARE_NAME_MAX + 8];
	long long now = (long long)time(NULL), expires;
	long expires_in = 0;
	enum ms_status st;
	int lfd = -1;

	*token = NULL;
	*fetched = false;
	if (runfd >= 0 &&
	    ms_file_name(name, sizeof(name), "oauth2-", relay, "")) {
		snprintf(lock, sizeof(lock), "%s.lock", name);
		lfd = openat(runfd, lock,
		    O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (lfd < 0)
			log_msg(LOG_WARNING,
			    "relay %s: cannot open run/%s: %s (the token is "
			    "not shared)",
			    relay, lock, strerror(errno));
		while (lfd >= 0 && flock(lfd, LOCK_EX) != 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_WARNING,
			    "relay %s: cannot lock run/%s: %s (the token is "
			    "not shared)",
			    relay, lock, strerror(errno));
			close(lfd);
			lfd = -1;
		}
	}
	if (lfd >= 0) {
		now = (long long)time(NULL); /* the wait may have been long */
		share_read(runfd, name, relay, now, token, refresh_at);
		/* The token the server refused is replaced once: when
		 * another worker replaced it already, use its token. */
		if (*token != NULL && refused != NULL &&
		    strlen(*token) == strlen(refused) &&
		    CRYPTO_memcmp(*token, refused, strlen(refused)) == 0) {
			OPENSSL_cleanse(*token, strlen(*token));
			free(*token);
			*token = NULL;
		}
		if (*token != NULL) {
			close(lfd); /* drops the lock */
			return MS_OK;
		}
	}
	st = fetch(arg, token, &expires_in, err);
	if (st == MS_OK) {
		*fetched = true;
		now = (long long)time(NULL);
		expires = now + (expires_in > 0 ? expires_in : 300);
		*refresh_at = now + oauth2_refresh_in(expires_in);
		if (lfd >= 0 && token_ok(*token, strlen(*token)))
			share_write(
			    runfd, name, relay, *token, expires, *refresh_at);
	}
	if (lfd >= 0)
		close(lfd);
	return st;
}
