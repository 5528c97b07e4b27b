/*
 * state.c - writes a claimed message's state file, queue/ID.state: before
 *           anything is sent (spool_prepare) and after (spool_save_state).
 *           The text format is state_text.c's (state_format).
 *
 * API:    spool_prepare(), spool_save_state() (spool.h);
 *         spool_write_state(), spool_reserve_for() for the outcomes in
 *         outcome.c (spool_priv.h).
 * Due:    the state's mtime is the message's next attempt time.
 * Atomic: written to ID.state.tmp (or the process's reserve, reserve.h)
 *         and renamed over ID.state; synced whenever a recipient is
 *         marked sent, so that a crash cannot send to them again.
 * Errors: MS_TEMP with the file and the cause; then nothing is sent.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reserve.h"
#include "spool_priv.h"

static bool
state_has_sent(const struct msg_state *st)
{
	for (size_t i = 0; i < st->nrcpt; i++)
		if (st->rcpts[i].status == RCPT_SENT)
			return true;
	return false;
}

/* Writes a state's text at the start of fd, cuts the file to it when
 * cut (a reused file may be longer), and sets its mtime to next (when
 * the message is due). False with errno (0: a write that made no
 * progress) unless all of it was done. */
static bool
put_state_text(int fd, const char *text, size_t len, bool cut, long long next)
{
	struct timespec times[2] = { { .tv_sec = time(NULL) },
		{ .tv_sec = (time_t)next } };
	size_t off = 0;

	errno = 0;
	while (off < len) {
		ssize_t n = pwrite(fd, text + off, len - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		off += (size_t)n;
	}
	return (!cut || ftruncate(fd, (off_t)len) == 0) &&
	    futimens(fd, times) == 0;
}

/* Writes st as dirfd/ID.state through ID.state.tmp; mtime = next_try.
 * With res (dirfd is then res's queue/), the room spool_prepare reserved
 * (queue/.reserve-N) is used, and consumed, instead of a new file. The
 * file is fsynced with WS_SYNC, the directory after the rename with
 * WS_DIRSYNC; both whenever a recipient is marked sent. */
enum ms_status
spool_write_state(int dirfd, const char *id, const struct msg_state *st,
    struct spool *res, int flags, struct ms_err *err)
{
	char name[SPOOL_ID_LEN + sizeof(STATE_SUFFIX)];
	char tmp[sizeof(name) + sizeof(res->resname)];
	char *text;
	size_t len;
	enum ms_status rc;
	bool cut, ok;
	int fd;

	snprintf(name, sizeof(name), "%s" STATE_SUFFIX, id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if ((rc = state_format(st, &text, &len, err)) != MS_OK)
		return rc;
	if (state_has_sent(st))
		flags |= WS_SYNC | WS_DIRSYNC;
	fd = res != NULL ? reserve_use(res, tmp, sizeof(tmp)) : -1;
	/* A reserve may hold what a killed flusher wrote: cut to size. A
	 * file opened with O_TRUNC is exactly what we write. */
	cut = fd >= 0;
	if (fd < 0) {
		fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	}
	if (fd < 0) {
		free(text);
		return ms_err_set(
		    err, MS_TEMP, "cannot write %s: %s", tmp, strerror(errno));
	}
	ok = put_state_text(fd, text, len, cut, st->next_try);
	free(text);
	/* A partly delivered message is synced, so that a crash cannot make
	 * us send again to those who already have it. */
	if (!ok || ((flags & WS_SYNC) && fsync(fd) != 0)) {
		rc = ms_err_set(err, MS_TEMP, "cannot write %s: %s", tmp,
		    errno ? strerror(errno) : "short write");
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	if (close(fd) != 0) {
		rc = ms_err_set(
		    err, MS_TEMP, "cannot write %s: %s", tmp, strerror(errno));
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	if (renameat(dirfd, tmp, dirfd, name) != 0) {
		rc = ms_err_set(
		    err, MS_TEMP, "cannot rename %s: %s", tmp, strerror(errno));
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	if ((flags & WS_DIRSYNC) && fsync(dirfd) != 0)
		return ms_err_set(err, MS_TEMP,
		    "cannot sync the directory of %s: %s", name,
		    strerror(errno));
	return MS_OK;
}

/* Room for the outcome of a transaction: the state as it is plus a
 * reply and a relay name for every recipient. */
static off_t
state_room(const struct msg_state *st)
{
	off_t room = 8192;

	for (size_t i = 0; i < st->nrcpt; i++)
		room += (off_t)strlen(st->rcpts[i].addr) + 1024;
	if (st->reason != NULL)
		room += (off_t)strlen(st->reason);
	return room;
}

/* The reserve spool_prepare kept for m, if m is where it can be used. */
struct spool *
spool_reserve_for(struct spool_msg *m)
{
	return m->reserved && m->area == AREA_QUEUE ? m->s : NULL;
}

/* A fresh message's first state, written into one of this process's
 * pre-state slots and renamed to queue/ID.state (reserve.h): the same
 * file, name, content and mtime as spool_write_state's, from an inode
 * that is reused rather than created. *used is false when no slot could
 * be had (the caller then writes a new file). */
static enum ms_status
write_pre(struct spool_msg *m, bool *used, struct ms_err *err)
{
	struct spool *s = m->s;
	char name[SPOOL_ID_LEN + sizeof(STATE_SUFFIX)];
	struct spool_pre_slot *p;
	size_t len;
	enum ms_status rc;
	char *text;
	bool ok;

	*used = false;
	reserve_pre_forget(s, m->id); /* a slot it held is replaced */
	if ((p = reserve_pre_take(s)) == NULL)
		return MS_OK;
	*used = true;
	snprintf(name, sizeof(name), "%s" STATE_SUFFIX, m->id);
	if ((rc = state_format(&m->state, &text, &len, err)) != MS_OK)
		return rc;
	/* Cut only what the last state left beyond this one. */
	ok = put_state_text(
	    p->fd, text, len, (off_t)len != p->size, m->state.next_try);
	free(text);
	if (!ok || renameat(s->queuefd, p->name, s->queuefd, name) != 0) {
		rc = ms_err_set(err, MS_TEMP, "cannot write %s: %s", name,
		    errno ? strerror(errno) : "short write");
		unlinkat(s->queuefd, p->name, 0);
		close(p->fd);
		p->fd = -1;
		return rc;
	}
	p->size = (off_t)len;
	snprintf(p->id, sizeof(p->id), "%s", m->id);
	return MS_OK;
}

enum ms_status
spool_prepare(struct spool_msg *m, long long next_try, struct ms_err *err)
{
	int dirfd = spool_area_fd(m->s, m->area);
	long long keep = m->state.next_try;
	bool used = false;
	enum ms_status st = MS_OK;

	m->reserved = false;
	m->state.next_try = next_try;
	/* Synced so that an EIO shows here, before anything is sent; not
	 * for a fresh message (no state when claimed, nobody sent): the
	 * write (and the room reserved below) already shows a full or
	 * read-only spool, a kill -9 keeps what was written (the page
	 * cache survives it), and only a power loss can undo it, which
	 * before the finish's removal is durable already costs that
	 * message one duplicate. A state that records a sent recipient is
	 * synced by spool_write_state. A fresh message's state comes from a
	 * pre-state slot (reserve.h). Written ahead (the flusher's loop
	 * prepares its next message while a relay waits) and nobody sent
	 * since: what is on disk already says so. */
	if (m->prepared && !state_has_sent(&m->state))
		used = true;
	else if (!m->had_state && m->area == AREA_QUEUE &&
	    !state_has_sent(&m->state))
		st = write_pre(m, &used, err);
	if (!used && st == MS_OK) {
		reserve_pre_forget(m->s, m->id);
		st = spool_write_state(dirfd, m->id, &m->state, NULL,
		    m->had_state ? WS_SYNC : 0, err);
	}
	m->state.next_try = keep;
	if (st != MS_OK)
		return st;
	m->prepared = true;
	if (m->area != AREA_QUEUE)
		return MS_OK;
	if ((st = reserve_take(m->s, state_room(&m->state), err)) != MS_OK)
		return st;
	m->reserved = true;
	return MS_OK;
}

void
spool_unprepare(struct spool_msg *m)
{
	char state[SPOOL_ID_LEN + sizeof(STATE_SUFFIX)];

	if (!m->prepared || m->had_state || m->area != AREA_QUEUE ||
	    state_has_sent(&m->state))
		return;
	snprintf(state, sizeof(state), "%s" STATE_SUFFIX, m->id);
	/* Back into its slot; if it cannot be, it stays the message's
	 * state (due at its mtime), as after a kill. */
	if (reserve_pre_return(m->s, m->id, state))
		m->prepared = false;
}

enum ms_status
spool_save_state(struct spool_msg *m, struct ms_err *err)
{
	reserve_pre_forget(m->s, m->id); /* replaced */
	return spool_write_state(spool_area_fd(m->s, m->area), m->id, &m->state,
	    spool_reserve_for(m), WS_SYNC | WS_DIRSYNC, err);
}
