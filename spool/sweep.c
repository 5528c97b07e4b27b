/*
 * sweep.c - removes what a flusher killed at the wrong moment leaves in
 *           queue/ and dead/: ID.state without its message, ID.state.tmp
 *           nobody is writing; deferred/ is swept by sched_sweep().
 *
 * API:    spool_sweep() (spool.h).
 * Alone:  only while no other flusher delivers (run/flushing, below).
 * Trust:  only names of the form ID.state and ID.state.tmp, ID a queue
 *         id, are ever removed, and only when the message is in neither
 *         area nor parked in the schedule; a .tmp only when its message's
 *         flock can be taken.
 * Errors: none returned: an orphan that cannot be removed now is removed
 *         by a later pass.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "schedule.h"
#include "spool_priv.h"

/* Is there a message id in dirfd? (ENOENT only counts as "no".) */
static bool
msg_there(int dirfd, const char *id)
{
	struct stat sb;

	return fstatat(dirfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT;
}

/* (c) in spool/README: queue/ID.state whose message is in the bucket its
 * mtime names is mid-move, not an orphan. Asked before and after the
 * look at queue/ID: a message filed (queue/ -> bucket) between the two
 * is seen by the second, one returned (bucket -> queue/) by one of them. */
static bool
parked(struct spool *s, enum spool_area area, int dfd, const char *name,
    const char *id)
{
	struct stat sb;

	if (area != AREA_QUEUE || name[SPOOL_ID_LEN] != '.' ||
	    strcmp(name + SPOOL_ID_LEN, STATE_SUFFIX) != 0)
		return false;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return errno != ENOENT;
	return sched_parked(s, (long long)sb.st_mtime, id);
}

/* In one area: ID.state without ID (a flusher killed between removing a
 * message and its state), ID.state.tmp nobody is writing. A message only
 * ever moves into this area from the other one (requeue, bury: the state
 * is written first), so the other area is looked at first: if the move
 * happened after that look, the message is seen here. */
static void
sweep_area(struct spool *s, enum spool_area area)
{
	int dfd = spool_area_fd(s, area);
	int other =
	    spool_area_fd(s, area == AREA_DEAD ? AREA_QUEUE : AREA_DEAD);
	struct dirent *de;
	DIR *d;

	if ((d = ms_opendir_at(dfd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char id[SPOOL_ID_LEN + 1];
		bool tmp = n == SPOOL_ID_LEN + strlen(STATE_SUFFIX ".tmp") &&
		    strcmp(de->d_name + SPOOL_ID_LEN, STATE_SUFFIX ".tmp") == 0;
		bool idle;
		int mfd;

		if (!tmp && !spool_is_state_name(de->d_name))
			continue;
		memcpy(id, de->d_name, SPOOL_ID_LEN);
		id[SPOOL_ID_LEN] = '\0';
		if (!spool_id_valid(id) || msg_there(other, id) ||
		    parked(s, area, dfd, de->d_name, id))
			continue;
		mfd = openat(
		    dfd, id, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (mfd >= 0) {
			/* The message is here: only a .tmp nobody holds. */
			idle = tmp && flock(mfd, LOCK_EX | LOCK_NB) == 0;
			if (idle)
				unlinkat(dfd, de->d_name, 0);
			close(mfd);
			if (!idle)
				continue;
		} else if (errno != ENOENT ||
		    parked(s, area, dfd, de->d_name, id) ||
		    unlinkat(dfd, de->d_name, 0) != 0) {
			continue;
		}
		log_msg(LOG_INFO, "removed orphan %s/%s/%s", s->dir,
		    spool_area_name(area), de->d_name);
	}
	closedir(d);
}

/* A flusher finishing a message removes the message, then its state: a
 * sweep between the two would take that state for a killed flusher's
 * orphan (harmless, but a false "removed orphan", and the two would race
 * for one unlink). So every flusher holds a shared lock on run/flushing
 * from its first sweep to its exit, and a sweep runs only when its own
 * lock can become exclusive at once: no other flusher is delivering.
 * Otherwise it is skipped; a later pass sweeps. Forked workers share the
 * lock of the pass that forked them. */
static bool
sweep_alone(struct spool *s)
{
	struct ms_err err;
	bool alone;

	if (s->sweepfd < 0 &&
	    ms_open_run_file(s->runfd, "flushing",
		O_RDONLY | O_CREAT | O_NONBLOCK, &s->sweepfd, &err) != MS_OK) {
		/* No lock, no sweep: orphans stay until it can be had. */
		log_msg(LOG_WARNING, "not sweeping orphans: %s", err.msg);
		return false;
	}
	alone = flock(s->sweepfd, LOCK_EX | LOCK_NB) == 0;
	if (!alone) /* a failed conversion may have dropped the shared lock */
		flock(s->sweepfd, LOCK_SH);
	return alone;
}

void
spool_sweep(struct spool *s)
{
	if (!sweep_alone(s))
		return;
	sweep_area(s, AREA_QUEUE);
	sweep_area(s, AREA_DEAD);
	sched_sweep(s);
	flock(s->sweepfd, LOCK_SH); /* others may deliver again */
}
