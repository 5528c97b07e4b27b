/*
 * writer.c - the front end's half of the spool: create tmp/ID, stream the
 *            message into it, make it durable, commit it into new/.
 *
 * API:    spool_make_id(), spool_id_valid(), spool_create(), spool_write(),
 *         spool_commit(), spool_abort().
 * Trust:  runs inside the set-gid front end. Touches only SPOOL/tmp and
 *         SPOOL/new, opens nothing through a symlink, creates with O_EXCL.
 * Order:  (free-space reserve checked), create tmp/ID, flock it, write,
 *         fsync(file), fchmod(ready), rename tmp/ID -> new/ID, close,
 *         fsync(new/). Success is reported only after the last step; a
 *         failure before the rename leaves no file (spool_abort unlinks).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif

#include "spool.h"

/* Mode of a complete message file: owner (the submitting user) may read
 * it, the drop group may not (so the set-gid front end cannot read mail it
 * did not write), others may read: the flusher's user reads it as
 * "other", and nobody else can reach it because SPOOL itself is 0710. */
#define SPOOL_READY_MODE  0604
#define SPOOL_RESERVE_MAX (256ULL * 1024 * 1024)

static enum ms_status
errno_status(int e)
{
	/* Disk full or quota: the caller should retry later (75). Anything
	 * else while storing is also worth a retry: a duplicate beats a loss.
	 */
	(void)e;
	return MS_TEMP;
}

static enum ms_status
random_bytes(void *buf, size_t len, struct ms_err *err)
{
#ifdef HAVE_GETRANDOM
	ssize_t n = getrandom(buf, len, 0);

	if (n == (ssize_t)len)
		return MS_OK;
#endif
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && read(fd, buf, len) == (ssize_t)len) {
		close(fd);
		return MS_OK;
	}
	if (fd >= 0)
		close(fd);
	return ms_err_set(
	    err, MS_TEMP, "no random numbers available: %s", strerror(errno));
}

enum ms_status
spool_make_id(char *id, struct ms_err *err)
{
	struct timeval tv;
	unsigned char rnd[4];
	unsigned long long usec;
	enum ms_status st;

	if ((st = random_bytes(rnd, sizeof(rnd), err)) != MS_OK)
		return st;
	gettimeofday(&tv, NULL);
	usec = (unsigned long long)tv.tv_sec * 1000000ULL +
	    (unsigned long long)tv.tv_usec;
	snprintf(id, SPOOL_ID_LEN + 1, "%014llX%02X%02X%02X%02X", usec, rnd[0],
	    rnd[1], rnd[2], rnd[3]);
	return MS_OK;
}

bool
spool_id_valid(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
			(name[i] >= 'A' && name[i] <= 'F')))
			return false;
	return i == SPOOL_ID_LEN;
}

static int
open_dir(int at, const char *name)
{
	return openat(
	    at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Refuses new mail when the spool's file system is nearly full, so that
 * what is queued can still be delivered: the flusher needs room for its
 * state files, and one user must not stop everyone else's mail. The
 * reserve is 5% of the file system, at most 256 MiB, and 1% of its
 * inodes, at most 1000. */
static enum ms_status
check_reserve(struct spool_writer *w, struct ms_err *err)
{
	struct statvfs vs;
	unsigned long long size, avail, reserve, ireserve;

	if (fstatvfs(w->newfd, &vs) != 0)
		return MS_OK; /* cannot tell: the writes will say */
	size = (unsigned long long)vs.f_blocks * vs.f_frsize;
	avail = (unsigned long long)vs.f_bavail * vs.f_frsize;
	reserve = size / 20;
	if (reserve > SPOOL_RESERVE_MAX)
		reserve = SPOOL_RESERVE_MAX;
	ireserve = vs.f_files / 100;
	if (ireserve > 1000)
		ireserve = 1000;
	if (avail < reserve || (vs.f_files > 0 && vs.f_favail < ireserve))
		return ms_err_set(err, MS_TEMP,
		    "spool %s is nearly full (%llu KiB free, %llu KiB kept "
		    "for delivering what is queued): not accepting new mail "
		    "now, try again later",
		    w->spool, avail / 1024, reserve / 1024);
	return MS_OK;
}

enum ms_status
spool_create(
    struct spool_writer *w, const char *spool, size_t limit, struct ms_err *err)
{
	enum ms_status st;

	/* Not the buffer: zeroing it would touch all its pages, which a small
	 * message never does (front-end RSS, issue 18). */
	memset(w, 0, offsetof(struct spool_writer, buf));
	w->spoolfd = w->tmpfd = w->newfd = w->fd = -1;
	w->limit = limit;
	if (snprintf(w->spool, sizeof(w->spool), "%s", spool) >=
	    (int)sizeof(w->spool))
		return ms_err_set(err, MS_CONFIG, "spool path too long");
	w->spoolfd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->spoolfd < 0)
		w->spoolfd = open(spool, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->spoolfd < 0)
		return ms_err_set(err, MS_TEMP, "cannot open spool %s: %s",
		    spool, strerror(errno));
	/* tmp/ may be write+search only (1730): O_PATH suffices for *at(). */
	w->tmpfd = openat(
	    w->spoolfd, "tmp", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	w->newfd = open_dir(w->spoolfd, "new");
	if (w->tmpfd < 0 || w->newfd < 0) {
		st = ms_err_set(err, MS_TEMP, "cannot open %s/%s: %s", spool,
		    w->tmpfd < 0 ? "tmp" : "new", strerror(errno));
		spool_abort(w);
		return st;
	}
	if ((st = check_reserve(w, err)) != MS_OK) {
		spool_abort(w);
		return st;
	}
	for (int tries = 0; tries < 8; tries++) {
		if ((st = spool_make_id(w->id, err)) != MS_OK) {
			spool_abort(w);
			return st;
		}
		w->fd = openat(w->tmpfd, w->id,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (w->fd >= 0 || errno != EEXIST)
			break;
	}
	if (w->fd < 0) {
		st = ms_err_set(err, errno_status(errno),
		    "cannot create "
		    "%s/tmp/%s: %s",
		    spool, w->id, strerror(errno));
		w->id[0] = '\0';
		spool_abort(w);
		return st;
	}
	/* Locked while we write, readable by the flusher ("other", as the
	 * finished file is): it removes a file whose lock is free, i.e.
	 * whose writer was killed, after minutes instead of a day. */
	if (flock(w->fd, LOCK_EX | LOCK_NB) != 0 ||
	    fchmod(w->fd, SPOOL_READY_MODE) != 0) {
		st = ms_err_set(err, errno_status(errno),
		    "cannot lock %s/tmp/%s: %s", spool, w->id, strerror(errno));
		spool_abort(w);
		return st;
	}
	return MS_OK;
}

static enum ms_status
flush_buf(struct spool_writer *w, struct ms_err *err)
{
	size_t off = 0;

	while (off < w->buflen) {
		ssize_t n = write(w->fd, w->buf + off, w->buflen - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ms_err_set(err, errno_status(errno),
			    "cannot "
			    "write %s/tmp/%s: %s",
			    w->spool, w->id,
			    n < 0 ? strerror(errno) : "short write");
		off += (size_t)n;
	}
	w->buflen = 0;
	return MS_OK;
}

enum ms_status
spool_write(
    struct spool_writer *w, const void *data, size_t len, struct ms_err *err)
{
	const char *p = data;
	enum ms_status st;

	if (w->limit > 0 && w->written + len > w->limit)
		return ms_err_set(err, MS_DATA,
		    "message exceeds the size "
		    "limit of %zu bytes",
		    w->limit);
	w->written += len;
	while (len > 0) {
		size_t room = sizeof(w->buf) - w->buflen;
		size_t n = len < room ? len : room;

		memcpy(w->buf + w->buflen, p, n);
		w->buflen += n;
		p += n;
		len -= n;
		if (w->buflen == sizeof(w->buf) &&
		    (st = flush_buf(w, err)) != MS_OK)
			return st;
	}
	return MS_OK;
}

enum ms_status
spool_commit(struct spool_writer *w, struct ms_err *err)
{
	enum ms_status st;

	if ((st = flush_buf(w, err)) != MS_OK)
		return st;
	if (fsync(w->fd) != 0 || fchmod(w->fd, SPOOL_READY_MODE) != 0)
		return ms_err_set(err, errno_status(errno),
		    "cannot sync "
		    "%s/tmp/%s: %s",
		    w->spool, w->id, strerror(errno));
	/* Renamed while still open, so still locked: the flusher never
	 * takes a finished file in tmp/ for an abandoned one. */
	if (renameat(w->tmpfd, w->id, w->newfd, w->id) != 0)
		return ms_err_set(err, errno_status(errno),
		    "cannot commit "
		    "%s/tmp/%s: %s",
		    w->spool, w->id, strerror(errno));
	/* From here the message is queued; if the close or the directory
	 * sync fails we still say "try again" (75): a duplicate is better
	 * than a loss. */
	w->committed = true;
	if (close(w->fd) != 0) {
		w->fd = -1;
		return ms_err_set(err, MS_TEMP, "cannot close %s/new/%s: %s",
		    w->spool, w->id, strerror(errno));
	}
	w->fd = -1;
	if (fsync(w->newfd) != 0)
		return ms_err_set(err, MS_TEMP, "cannot sync %s/new: %s",
		    w->spool, strerror(errno));
	return MS_OK;
}

void
spool_abort(struct spool_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	if (!w->committed && w->id[0] != '\0' && w->tmpfd >= 0)
		unlinkat(w->tmpfd, w->id, 0);
	w->committed = true; /* nothing left to undo */
	if (w->tmpfd >= 0)
		close(w->tmpfd);
	if (w->newfd >= 0)
		close(w->newfd);
	if (w->spoolfd >= 0)
		close(w->spoolfd);
	w->tmpfd = w->newfd = w->spoolfd = -1;
}
