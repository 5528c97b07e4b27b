/*
 * ratelimit_hold.c - relay holds in run/hold-RELAY ("UNTIL REASON\n",
 *                    unix seconds): a relay whose quota is exhausted, or
 *                    that failed, is skipped by every flusher process
 *                    until then (format and rules in ratelimit.h).
 *
 * API:    relay_hold_set(), relay_hold_get(), relay_hold_none(),
 *         relay_hold_clear() (ratelimit.h).
 * Trust:  the file is parsed defensively: a damaged one means no hold.
 *         A hold written later than the clock now says (the clock went
 *         back) is dropped.
 * Errors: MS_TEMP with the path and cause.
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

#include "ratelimit.h"
#include "run_file.h"

static void
parse_hold(const char *buf, long long *until, char *reason, size_t len)
{
	char *end;
	long long u;

	errno = 0;
	u = strtoll(buf, &end, 10);
	if (end == buf || errno != 0 || u < 0)
		u = 0;
	*until = u;
	if (reason != NULL && len > 0) {
		size_t n;

		while (*end == ' ')
			end++;
		n = strcspn(end, "\n");
		ms_quote(reason, len, end, n);
	}
}

enum ms_status
relay_hold_set(int runfd, const char *relay, long long until,
    const char *reason, bool *first, struct ms_err *err)
{
	char name[160], buf[512], q[210];
	long long old;
	enum ms_status rc;
	int fd;

	*first = true;
	if (runfd < 0)
		return MS_OK;
	rc = run_file_name(name, sizeof(name), "hold-", relay, err);
	if (rc != MS_OK)
		return rc;
	rc = run_file_lock(runfd, LOCK_EX, &fd, err);
	if (rc != MS_OK)
		return rc;
	run_file_read(runfd, name, buf, sizeof(buf));
	parse_hold(buf, &old, NULL, 0);
	*first = old <= (long long)time(NULL);
	if (!*first && old >= until) {
		close(fd);
		return MS_OK;
	}
	if (reason == NULL)
		reason = "";
	snprintf(buf, sizeof(buf), "%lld %s\n", until,
	    ms_quote(q, sizeof(q), reason, strlen(reason)));
	rc = run_file_write(runfd, name, buf, err);
	close(fd);
	return rc;
}

enum ms_status
relay_hold_get(int runfd, const char *relay, long long *until, char *reason,
    size_t reasonlen, struct ms_err *err)
{
	char name[160], buf[512];
	enum ms_status rc;
	struct stat sb;

	*until = 0;
	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (runfd < 0)
		return MS_OK;
	rc = run_file_name(name, sizeof(name), "hold-", relay, err);
	if (rc != MS_OK)
		return rc;
	run_file_read(runfd, name, buf, sizeof(buf));
	parse_hold(buf, until, reason, reasonlen);
	/* The file was written when the hold began (or was extended): a
	 * clock now earlier than that went back, and the hold, which would
	 * last that much longer, is dropped (the relay is tried again and
	 * held anew if it still fails). */
	if (*until > 0 && fstatat(runfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (long long)time(NULL) + 1 < (long long)sb.st_mtime)
		*until = 0;
	if (*until <= (long long)time(NULL)) {
		*until = 0;
		if (reason != NULL && reasonlen > 0)
			reason[0] = '\0';
	}
	return MS_OK;
}

bool
relay_hold_none(int runfd, const char *relay)
{
	char name[160];
	struct ms_err err;
	struct stat sb;

	if (runfd < 0)
		return true;
	if (run_file_name(name, sizeof(name), "hold-", relay, &err) != MS_OK)
		return false;
	return fstatat(runfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 &&
	    errno == ENOENT;
}

void
relay_hold_clear(int runfd, const char *relay)
{
	char name[160];
	struct ms_err err;

	if (runfd >= 0 &&
	    run_file_name(name, sizeof(name), "hold-", relay, &err) == MS_OK)
		(void)unlinkat(runfd, name, 0);
}
