/*
 * reserve.c - the room a flusher keeps in queue/ for the outcome of the
 *             transaction it is about to start (spool/README, step 8).
 *
 * API:    reserve_take(), reserve_use(), reserve_release() (reserve.h;
 *         internal to spool/, called by state.c and outcome.c).
 * What:   one file per flusher process, queue/.reserve-N, N the first
 *         slot whose flock it can take, with blocks allocated (fallocate,
 *         size left 0) for the largest outcome it may have to write.
 *         Writing an outcome renames it to ID.state (so the room is used
 *         however full the file system is by then); the next transaction
 *         takes a new one. A delivered message never touches it, so a
 *         flusher that only delivers creates it once per pass instead of
 *         once per message. It is removed at the end of each pass, and
 *         so are slots left by killed flushers (no flock on them).
 *         Two more slots, the pre-state slots, are what a fresh message's
 *         first state is written into and renamed from (queue/ID.state:
 *         two, so that the next message's can be written while the
 *         message on the wire holds the other);
 *         a delivered message's state is renamed back into a slot rather
 *         than removed (no inode created or freed per message: on a
 *         file system mounted with discard, each freed one costs a
 *         synchronous discard). The state is a state like any other
 *         while it is named queue/ID.state: a crash leaves exactly what
 *         a new file would have left.
 * Trust:  the slot names are ours; a file found there is checked to be
 *         the one locked (same inode, one link) before it is used.
 * Errors: MS_TEMP with the cause (ENOSPC, EROFS, EIO, every slot busy).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reserve.h"

/* Opens slot n, locked and still linked under its name; -1 if busy,
 * gone or unusable (errno says which: EWOULDBLOCK for busy). */
static int
slot_open(struct spool *s, int n, bool create, char *name, size_t len)
{
	struct stat a, b;
	int fd;

	snprintf(name, len, RESERVE_PREFIX "%d", n);
	fd = openat(s->queuefd, name,
	    O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
		(create ? O_CREAT : 0),
	    0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		errno = EWOULDBLOCK;
		return -1;
	}
	/* Renamed to ID.state (or removed) by its last holder between our
	 * open and our lock: not a slot any more. */
	if (fstat(fd, &a) != 0 ||
	    fstatat(s->queuefd, name, &b, AT_SYMLINK_NOFOLLOW) != 0 ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev || a.st_nlink != 1 ||
	    !S_ISREG(a.st_mode)) {
		close(fd);
		errno = EWOULDBLOCK;
		return -1;
	}
	return fd;
}

enum ms_status
reserve_take(struct spool *s, off_t room, struct ms_err *err)
{
	int e;

	for (int n = 0; s->resfd < 0 && n < RESERVE_SLOTS; n++) {
		s->resfd =
		    slot_open(s, n, true, s->resname, sizeof(s->resname));
		if (s->resfd < 0 && errno != EWOULDBLOCK)
			return ms_err_set(err, MS_TEMP,
			    "cannot reserve room for states in %s/queue: %s",
			    s->dir, strerror(errno));
		s->resroom = 0;
	}
	if (s->resfd < 0)
		return ms_err_set(err, MS_TEMP,
		    "cannot reserve room for states in %s/queue: all %d "
		    "slots are taken by other flushers",
		    s->dir, RESERVE_SLOTS);
	s->reserved = true;
	if (room <= s->resroom)
		return MS_OK;
	/* Blocks reserved, size left at 0: the outcome is written into
	 * them however full the file system is by then. */
	if (fallocate(s->resfd, FALLOC_FL_KEEP_SIZE, 0, room) != 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS) {
		e = errno;
		reserve_release(s);
		return ms_err_set(err, MS_TEMP,
		    "cannot reserve room for states in %s/queue: %s", s->dir,
		    strerror(e));
	}
	s->resroom = room;
	return MS_OK;
}

int
reserve_use(struct spool *s, char *name, size_t len)
{
	int fd = s->resfd;

	if (fd >= 0)
		snprintf(name, len, "%s", s->resname);
	s->resfd = -1;
	s->resroom = 0;
	return fd;
}

/* Slot n's name is lent: one of our pre-state slots is queue/ID.state
 * now, and comes back under that name. */
static bool
name_lent(const struct spool *s, int n)
{
	char name[sizeof(s->pre[0].name)];

	snprintf(name, sizeof(name), RESERVE_PREFIX "%d", n);
	for (int i = 0; i < SPOOL_PRE_SLOTS; i++)
		if (s->pre[i].fd >= 0 && s->pre[i].id[0] != '\0' &&
		    strcmp(s->pre[i].name, name) == 0)
			return true;
	return false;
}

static struct spool_pre_slot *
pre_find(struct spool *s, const char *id)
{
	for (int i = 0; i < SPOOL_PRE_SLOTS; i++)
		if (s->pre[i].fd >= 0 && s->pre[i].id[0] != '\0' &&
		    strcmp(s->pre[i].id, id) == 0)
			return &s->pre[i];
	return NULL;
}

struct spool_pre_slot *
reserve_pre_take(struct spool *s)
{
	struct spool_pre_slot *p = NULL;

	for (int i = 0; i < SPOOL_PRE_SLOTS && p == NULL; i++)
		if (s->pre[i].fd >= 0 && s->pre[i].id[0] == '\0')
			p = &s->pre[i];
	for (int i = 0; i < SPOOL_PRE_SLOTS && p == NULL; i++)
		if (s->pre[i].fd < 0)
			p = &s->pre[i];
	if (p == NULL) { /* both lent */
		errno = EAGAIN;
		return NULL;
	}
	if (p->fd >= 0)
		return p;
	/* From the top, so that a name free while its slot is lent is not
	 * the one the outcome's slot (from the bottom) takes meanwhile; and
	 * never the name our other slot is lent from. */
	p->size = -1; /* unknown (a killed flusher's?): cut */
	p->id[0] = '\0';
	for (int n = RESERVE_SLOTS - 1; p->fd < 0 && n >= 0; n--) {
		if (name_lent(s, n))
			continue;
		p->fd = slot_open(s, n, true, p->name, sizeof(p->name));
		if (p->fd < 0 && errno != EWOULDBLOCK)
			return NULL;
	}
	if (p->fd < 0) {
		errno = EAGAIN;
		return NULL;
	}
	s->reserved = true; /* removed at the end of the pass */
	return p;
}

bool
reserve_pre_return(struct spool *s, const char *id, const char *state)
{
	struct spool_pre_slot *p = pre_find(s, id);

	if (p == NULL)
		return false;
	/* Never over a slot another flusher made under that name since. */
	if (renameat2(s->queuefd, state, s->queuefd, p->name,
		RENAME_NOREPLACE) != 0) {
		reserve_pre_forget(s, id);
		return false;
	}
	p->id[0] = '\0';
	return true;
}

void
reserve_pre_forget(struct spool *s, const char *id)
{
	struct spool_pre_slot *p = pre_find(s, id);

	if (p == NULL)
		return;
	close(p->fd);
	p->fd = -1;
	p->id[0] = '\0';
}

void
reserve_release(struct spool *s)
{
	char name[sizeof(s->resname)];

	for (int i = 0; i < SPOOL_PRE_SLOTS; i++) {
		struct spool_pre_slot *p = &s->pre[i];

		if (p->fd < 0)
			continue;
		/* Named queue/ID.state now (never at a pass end): that is
		 * the message's state, left as it is. */
		if (p->id[0] == '\0')
			unlinkat(s->queuefd, p->name, 0);
		close(p->fd);
		p->fd = -1;
		p->id[0] = '\0';
	}
	if (s->resfd < 0 && !s->reserved)
		return;
	if (s->resfd >= 0) {
		unlinkat(s->queuefd, s->resname, 0);
		close(s->resfd);
		s->resfd = -1;
	}
	s->resroom = 0;
	s->reserved = false;
	/* Slots left by flushers killed mid-pass: nobody holds them. */
	for (int n = 0; n < RESERVE_SLOTS; n++) {
		int fd = slot_open(s, n, false, name, sizeof(name));

		if (fd >= 0) {
			unlinkat(s->queuefd, name, 0);
			close(fd);
		}
	}
}
