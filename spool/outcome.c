/*
 * outcome.c - what becomes of a claimed message: delivered (removed),
 *             dead (moved to dead/), back in the queue (requeue), deleted
 *             by the operator; and the wake-up of a `flush --watch`.
 *
 * API:    spool_finish(), spool_pass_end(), spool_bury(), spool_requeue(),
 *         spool_delete(), spool_delete_bad(), spool_wake() (spool.h).
 * Order:  a message moves with its state written first at the target and
 *         removed last at the source; it is removed before its state. A
 *         crash in between leaves at worst an orphan state (sweep.c),
 *         never a lost message nor one sent again to everyone.
 * Errors: MS_TEMP with the file and the cause; the claim is released
 *         except by spool_bury (the caller releases).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "reserve.h"
#include "spool_priv.h"

static void
unlink_state(int dirfd, const char *id)
{
	char name[SPOOL_ID_LEN + sizeof(STATE_SUFFIX)];
	char tmp[sizeof(name) + 4];

	snprintf(name, sizeof(name), "%s" STATE_SUFFIX, id);
	unlinkat(dirfd, name, 0);
	/* And a reserve left by a flusher killed mid-delivery. */
	snprintf(tmp, sizeof(tmp), "%s" STATE_SUFFIX ".tmp", id);
	unlinkat(dirfd, tmp, 0);
}

static void
unlink_bad_state(int dirfd, const char *id)
{
	char name[SPOOL_ID_LEN + sizeof(STATE_SUFFIX) + sizeof(BAD_SUFFIX)];

	snprintf(name, sizeof(name), "%s" STATE_SUFFIX BAD_SUFFIX, id);
	unlinkat(dirfd, name, 0);
}

/* The batched fsync of queue/ after removals (spool/README, step 8). */
static enum ms_status
queue_sync(struct spool *s, struct ms_err *err)
{
	if (s->unsynced == 0)
		return MS_OK;
	if (fsync(s->queuefd) != 0)
		return ms_err_set(err, MS_TEMP,
		    "cannot sync %s/queue after removing delivered messages: "
		    "%s",
		    s->dir, strerror(errno));
	s->unsynced = 0;
	return MS_OK;
}

enum ms_status
spool_finish(struct spool_msg *m, struct ms_err *err)
{
	char state[SPOOL_ID_LEN + sizeof(STATE_SUFFIX)];
	int fd = spool_area_fd(m->s, m->area);
	enum ms_status st;
	struct ms_err e2;

	if (unlinkat(fd, m->id, 0) != 0 && errno != ENOENT) {
		st = ms_err_set(err, MS_TEMP, "cannot remove %s/%s: %s",
		    spool_area_name(m->area), m->id, strerror(errno));
		/* Everyone has it: say so, so that the next pass only
		 * removes it. */
		reserve_pre_forget(m->s, m->id);
		if (spool_write_state(fd, m->id, &m->state,
			spool_reserve_for(m), WS_SYNC | WS_DIRSYNC,
			&e2) != MS_OK)
			log_msg(LOG_ERR, "%s: %s", m->id, e2.msg);
		spool_release(m);
		return st;
	}
	/* The message first, then its state (an orphan state is swept). The
	 * directory is synced once per SPOOL_SYNC_EVERY removals and at the
	 * end of the pass, not here: losing this unlink to a power loss
	 * sends the message once more, the one duplicate a power loss is
	 * allowed (spool/README), and nothing else relies on it. */
	snprintf(state, sizeof(state), "%s" STATE_SUFFIX, m->id);
	/* A state from the pre-state slot goes back to being the slot. */
	if (m->area != AREA_QUEUE || !reserve_pre_return(m->s, m->id, state))
		unlinkat(fd, state, 0);
	st = MS_OK;
	if (m->area == AREA_QUEUE && ++m->s->unsynced >= SPOOL_SYNC_EVERY)
		st = queue_sync(m->s, err);
	else if (m->area != AREA_QUEUE && fsync(fd) != 0)
		st = ms_err_set(err, MS_TEMP,
		    "cannot sync %s/ after removing %s: %s",
		    spool_area_name(m->area), m->id, strerror(errno));
	/* Freeing the file's blocks can wait for the device: not here. */
	spool_close_later(m->fd);
	m->fd = -1;
	spool_release(m);
	return st;
}

enum ms_status
spool_pass_end(struct spool *s, struct ms_err *err)
{
	spool_closer_drain(); /* the pass's removed messages are freed */
	reserve_release(s);
	return queue_sync(s, err);
}

/* Moves message and state from one area to another: state written first
 * at the target, then the message renamed, then the old state removed. A
 * crash in between leaves at worst an orphan state, never a lost message. */
static enum ms_status
move_msg(
    struct spool_msg *m, enum spool_area to, bool release, struct ms_err *err)
{
	int from_fd = spool_area_fd(m->s, m->area),
	    to_fd = spool_area_fd(m->s, to);
	enum ms_status st;

	reserve_pre_forget(m->s, m->id); /* the old state goes below */
	if ((st = spool_write_state(
		 to_fd, m->id, &m->state, NULL, WS_SYNC, err)) != MS_OK)
		return st;
	if (renameat(from_fd, m->id, to_fd, m->id) != 0) {
		st = ms_err_set(err, MS_TEMP, "cannot move %s to %s/: %s",
		    m->id, spool_area_name(to), strerror(errno));
		unlink_state(to_fd, m->id);
		return st;
	}
	/* Both directories: the move (and the state beside it) must
	 * survive a power loss before the old state goes. */
	if (fsync(to_fd) != 0 || fsync(from_fd) != 0)
		return ms_err_set(err, MS_TEMP,
		    "cannot sync %s/ after moving %s there: %s",
		    spool_area_name(to), m->id, strerror(errno));
	unlink_state(from_fd, m->id);
	m->area = to;
	if (release)
		spool_release(m);
	return MS_OK;
}

enum ms_status
spool_bury(struct spool_msg *m, struct ms_err *err)
{
	enum ms_status st;

	/* The outcome first, where the message is: if the move fails, the
	 * next pass finds nobody to send to and only buries it again. */
	reserve_pre_forget(m->s, m->id); /* replaced */
	st = spool_write_state(spool_area_fd(m->s, m->area), m->id, &m->state,
	    spool_reserve_for(m), WS_SYNC | WS_DIRSYNC, err);
	if (st != MS_OK)
		return st;
	return move_msg(m, AREA_DEAD, false, err);
}

/* dead/ID.bad whose envelope read fine -> queue/ID with a fresh state
 * (no state file: every recipient pending, due now). Never replaces a
 * queue/ID that exists. */
static enum ms_status
requeue_bad(struct spool_msg *m, struct ms_err *err)
{
	char bad[SPOOL_ID_LEN + sizeof(BAD_SUFFIX)];
	char state[SPOOL_ID_LEN + sizeof(STATE_SUFFIX) + sizeof(BAD_SUFFIX)];
	enum ms_status st = MS_OK;

	spool_msg_name(bad, sizeof(bad), AREA_BAD, m->id);
	unlink_state(m->s->queuefd, m->id); /* an orphan would apply */
	if (renameat2(
		m->s->deadfd, bad, m->s->queuefd, m->id, RENAME_NOREPLACE) != 0)
		st = ms_err_set(err, MS_TEMP,
		    "cannot move dead/%s to queue/%s: %s", bad, m->id,
		    strerror(errno));
	else {
		snprintf(
		    state, sizeof(state), "%s" STATE_SUFFIX BAD_SUFFIX, m->id);
		unlinkat(m->s->deadfd, state, 0);
	}
	spool_release(m);
	return st;
}

enum ms_status
spool_requeue(struct spool_msg *m, struct ms_err *err)
{
	if (m->area == AREA_BAD)
		return requeue_bad(m, err);
	for (size_t i = 0; i < m->state.nrcpt; i++)
		if (m->state.rcpts[i].status == RCPT_DEAD)
			m->state.rcpts[i].status = RCPT_PENDING;
	m->state.attempts = 0;
	m->state.next_try = 0;
	m->state.since = (long long)time(NULL); /* a fresh give_up age */
	return move_msg(m, AREA_QUEUE, true, err);
}

enum ms_status
spool_delete(struct spool_msg *m, struct ms_err *err)
{
	int fd = spool_area_fd(m->s, m->area);
	char fname[SPOOL_ID_LEN + sizeof(BAD_SUFFIX)];

	spool_msg_name(fname, sizeof(fname), m->area, m->id);
	/* Message first: an orphan state is harmless, a message without its
	 * state would be sent again to everyone. */
	if (unlinkat(fd, fname, 0) != 0 && errno != ENOENT) {
		enum ms_status st = ms_err_set(err, MS_TEMP,
		    "cannot remove "
		    "%s/%s: %s",
		    spool_area_name(m->area), m->id, strerror(errno));

		spool_release(m);
		return st;
	}
	if (fsync(fd) != 0) {
		enum ms_status st = ms_err_set(err, MS_TEMP,
		    "cannot sync %s/ after removing %s: %s",
		    spool_area_name(m->area), m->id, strerror(errno));

		spool_release(m);
		return st;
	}
	if (m->area == AREA_BAD)
		unlink_bad_state(fd, m->id);
	else
		unlink_state(fd, m->id);
	spool_release(m);
	return MS_OK;
}

enum ms_status
spool_delete_bad(struct spool *s, const char *id, struct ms_err *err)
{
	char name[SPOOL_ID_LEN + sizeof(BAD_SUFFIX)];

	if (!spool_id_valid(id))
		return ms_err_set(
		    err, MS_USAGE, "\"%.40s\" is not a queue id", id);
	spool_msg_name(name, sizeof(name), AREA_BAD, id);
	if (unlinkat(s->deadfd, name, 0) != 0)
		return ms_err_set(err, errno == ENOENT ? MS_USAGE : MS_TEMP,
		    "cannot remove dead/%s: %s", name, strerror(errno));
	unlink_bad_state(s->deadfd, id);
	return MS_OK;
}

void
spool_wake(struct spool *s)
{
	int fd = openat(s->runfd, SPOOL_WAKE,
	    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd); /* IN_CLOSE_WRITE is the signal */
}
