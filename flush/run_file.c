/*
 * run_file.c - the files of run/ the flusher's processes share: names,
 *              the lock on run/, whole-file reads and replacements.
 *
 * API:    run_file_name(), run_file_lock(), run_file_read(),
 *         run_file_write() (run_file.h).
 * Trust:  run/ is the flusher's own 0700 directory; files are opened
 *         without following symlinks; a file that cannot be read is
 *         logged and replaced at its next update.
 * Errors: MS_TEMP with the path and cause.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"
#include "run_file.h"

enum ms_status
run_file_name(char *buf, size_t len, const char *prefix, const char *relay,
    struct ms_err *err)
{
	if (!ms_file_name(buf, len, prefix, relay, ""))
		return ms_err_set(err, MS_CONFIG,
		    "relay name unusable for a "
		    "state file");
	return MS_OK;
}

/* Locks run/ itself through a descriptor of our own (one shared with a
 * forked worker would share the lock too): the files are replaced by
 * rename, so a lock on one of them would lock a file nobody reads next. */
enum ms_status
run_file_lock(int runfd, int op, int *lfd, struct ms_err *err)
{
	int fd = openat(runfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return ms_err_set(
		    err, MS_TEMP, "cannot open run/: %s", strerror(errno));
	while (flock(fd, op) != 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(fd);
		return ms_err_set(
		    err, MS_TEMP, "cannot lock run/: %s", strerror(e));
	}
	*lfd = fd;
	return MS_OK;
}

/* Reads run/NAME into buf ("" when it does not exist). One that cannot
 * be read (left by root before admin commands switched to the spool's
 * owner, EIO...) is said loudly; the next update replaces it. */
void
run_file_read(int runfd, const char *name, char *buf, size_t len)
{
	int fd = openat(runfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	buf[0] = '\0';
	if (fd < 0) {
		if (errno != ENOENT)
			log_msg(LOG_ERR,
			    "cannot read run/%s: %s (replaced at its next "
			    "update)",
			    name, strerror(errno));
		return;
	}
	ms_read_text(fd, buf, len);
	close(fd);
}

/* Replaces run/NAME with text: NAME.tmp, then rename (a crash never
 * leaves half a file, and a file we could not read is replaced). */
enum ms_status
run_file_write(
    int runfd, const char *name, const char *text, struct ms_err *err)
{
	char tmp[200];
	size_t len = strlen(text);
	int fd, e;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	(void)unlinkat(runfd, tmp, 0); /* ours or root's: under the lock */
	fd = openat(runfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ms_err_set(err, MS_TEMP, "cannot write run/%s: %s", tmp,
		    strerror(errno));
	if (write(fd, text, len) != (ssize_t)len) {
		e = errno;
		close(fd);
		(void)unlinkat(runfd, tmp, 0);
		return ms_err_set(err, MS_TEMP, "cannot write run/%s: %s", tmp,
		    e ? strerror(e) : "short write");
	}
	if (close(fd) != 0 || renameat(runfd, tmp, runfd, name) != 0) {
		e = errno;
		(void)unlinkat(runfd, tmp, 0);
		return ms_err_set(err, MS_TEMP, "cannot replace run/%s: %s",
		    name, strerror(e));
	}
	return MS_OK;
}
