/*
 * pickup.c - what the flusher takes in from the front end: committed
 *            messages new/ -> queue/, tmp/ files abandoned by a killed
 *            sendmail, and setting aside (to dead/NAME.bad) whatever is
 *            not a message it can deliver.
 *
 * API:    spool_pickup(), spool_tmp_usage(), spool_quarantine() (spool.h).
 * Trust:  nothing in new/ or tmp/ is trusted: names must be queue ids,
 *         files regular, singly linked and marked complete (0604); a
 *         tmp/ file is removed only when no writer holds its flock.
 * Errors: none returned: what cannot be moved or removed stays where it
 *         is, with a log line, for the next pass.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool_priv.h"

#define TMP_MAX_AGE  (24 * 3600) /* tmp/ files we cannot lock-test */
#define TMP_LOCK_AGE 600	 /* tmp/ files we can: unlocked this long */

/* Moves an odd entry out of the way into dead/, named so that it is never
 * taken for a message again. */
static void
set_aside(struct spool *s, int fromfd, const char *from, const char *name,
    const char *why)
{
	char safe[80], target[128];
	size_t n = 0;

	for (const char *p = name; *p != '\0' && n + 1 < sizeof(safe); p++)
		safe[n++] = (*p >= '!' && *p <= '~' && *p != '/') ? *p : '_';
	safe[n] = '\0';
	snprintf(target, sizeof(target), "%s.bad", safe);
	if (renameat(fromfd, name, s->deadfd, target) != 0) {
		if (errno != ENOENT)
			log_msg(LOG_WARNING,
			    "cannot set aside %s/%s/%s (%s): %s", s->dir, from,
			    safe, why, strerror(errno));
		return;
	}
	log_msg(LOG_WARNING, "set aside %s/%s/%s as dead/%s: %s", s->dir, from,
	    safe, target, why);
}

void
spool_quarantine(
    struct spool *s, enum spool_area area, const char *id, const char *why)
{
	char state[SPOOL_ID_LEN + sizeof(STATE_SUFFIX)];

	set_aside(s, spool_area_fd(s, area), spool_area_name(area), id, why);
	/* Its history goes with it (dead/ID.state.bad), for the operator. */
	snprintf(state, sizeof(state), "%s" STATE_SUFFIX, id);
	if (faccessat(
		spool_area_fd(s, area), state, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		set_aside(s, spool_area_fd(s, area), spool_area_name(area),
		    state, "the state of a message set aside");
	fsync(s->deadfd);
	fsync(spool_area_fd(s, area));
}

static const char *
pickup_problem(const struct stat *sb)
{
	if (!S_ISREG(sb->st_mode))
		return "not a regular file";
	if (sb->st_nlink != 1)
		return "has more than one link";
	if ((sb->st_mode & 07777) != 0604)
		return "not marked complete (mode is not 0604)";
	return NULL;
}

static void
clean_tmp(struct spool *s, time_t now)
{
	DIR *d;
	struct dirent *de;

	if ((d = ms_opendir_at(s->tmpfd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat sb, lsb;
		bool abandoned;
		int mfd;

		if (de->d_name[0] == '.' ||
		    fstatat(s->tmpfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) !=
			0 ||
		    now - sb.st_mtime < TMP_LOCK_AGE)
			continue;
		/* The front end holds an flock while it writes: a file whose
		 * lock we can take has no writer left. One we cannot open (a
		 * front end from before the lock) waits a day. */
		mfd = openat(s->tmpfd, de->d_name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (mfd >= 0) {
			abandoned = flock(mfd, LOCK_EX | LOCK_NB) == 0 &&
			    fstat(mfd, &lsb) == 0 && lsb.st_ino == sb.st_ino;
			close(mfd);
		} else {
			abandoned = now - sb.st_mtime > TMP_MAX_AGE;
		}
		if (abandoned && unlinkat(s->tmpfd, de->d_name, 0) == 0)
			log_msg(LOG_INFO,
			    "removed stale %s/tmp/%.64s "
			    "(abandoned by an interrupted sendmail)",
			    s->dir, de->d_name);
	}
	closedir(d);
}

void
spool_tmp_usage(struct spool *s, struct spool_tmp_usage *u)
{
	time_t now = time(NULL);
	struct dirent *de;
	DIR *d;

	memset(u, 0, sizeof(*u));
	if ((d = ms_opendir_at(s->tmpfd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat sb;

		if (de->d_name[0] == '.' ||
		    fstatat(s->tmpfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) !=
			0)
			continue;
		u->files++;
		u->bytes += (long long)sb.st_size;
		if (now - sb.st_mtime >= TMP_LOCK_AGE)
			u->stale++;
	}
	closedir(d);
}

size_t
spool_pickup(struct spool *s)
{
	DIR *d;
	struct dirent *de;
	size_t moved = 0;
	bool locked;

	/* One pickup at a time. Flushers started together (a timer and a
	 * path unit, N processes) would each fstatat every entry of new/
	 * and race to rename the same ones; waiting for the one already at
	 * it costs nothing, as it moves them all. The lock is new/'s own
	 * (front ends never take it); a killed holder's goes with it. */
	locked = flock(s->newfd, LOCK_EX) == 0;
	clean_tmp(s, time(NULL));
	if ((d = ms_opendir_at(s->newfd)) == NULL) {
		log_msg(
		    LOG_ERR, "cannot read %s/new: %s", s->dir, strerror(errno));
		if (locked)
			flock(s->newfd, LOCK_UN);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat sb;
		const char *why;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(s->newfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) !=
		    0)
			continue; /* another flusher took it */
		why = spool_id_valid(de->d_name) ? pickup_problem(&sb)
						 : "not a queue file name";
		if (why != NULL) {
			set_aside(s, s->newfd, "new", de->d_name, why);
			continue;
		}
		if (renameat(s->newfd, de->d_name, s->queuefd, de->d_name) == 0)
			moved++;
		else if (errno != ENOENT)
			log_msg(LOG_ERR, "cannot move %s/new/%s to queue/: %s",
			    s->dir, de->d_name, strerror(errno));
	}
	closedir(d);
	/* Once per pass, before anything picked up is delivered: a
	 * message must not return to new/ after its outcome is recorded
	 * in queue/. new/ too: the renames out of it. */
	if (moved > 0 && (fsync(s->queuefd) != 0 || fsync(s->newfd) != 0))
		log_msg(LOG_ERR, "cannot sync %s/queue after pickup: %s",
		    s->dir, strerror(errno));
	if (locked)
		flock(s->newfd, LOCK_UN);
	return moved;
}
