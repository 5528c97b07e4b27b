/*
 * queue.c - the flusher's half of the spool: pick up, list, claim, keep
 *           per-recipient state, finish, bury, requeue, delete.
 *
 * API:    spool_init(), spool_open(), spool_close(), spool_pickup(),
 *         spool_list(), spool_claim(), spool_peek(), spool_save_state(),
 *         spool_finish(), spool_pass_end(), spool_bury(),
 *         spool_requeue(), spool_delete(), spool_quarantine(),
 *         spool_release(), spool_sweep(), spool_wake().
 * Trust:  nothing found in the spool is trusted: names are checked, files
 *         opened with O_NOFOLLOW and checked to be regular and singly
 *         linked, envelopes and states parsed defensively.
 * Claims: an exclusive flock on the message file. The kernel drops it when
 *         the holder dies, so a kill -9 never leaves a message stuck.
 * Due:    the mtime of ID.state is the next attempt time, so a scan needs
 *         one readdir and one fstatat per message of queue/, nothing
 *         more; deferred messages wait in deferred/ (schedule.c), which
 *         a pass reads only where something is due.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "reserve.h"
#include "schedule.h"
#include "spool.h"

#define STATE_SUFFIX ".state"
#define BAD_SUFFIX   ".bad"
#define STATE_MAX    (16 * 1024 * 1024)
#define TMP_MAX_AGE  (24 * 3600) /* tmp/ files we cannot lock-test */
#define TMP_LOCK_AGE 600	 /* tmp/ files we can: unlocked this long */
#define WS_SYNC	     1		 /* write_state: fsync the file */
#define WS_DIRSYNC   2		 /* ... and its directory after the rename */

static const struct {
	const char *name;
	mode_t mode;
	bool drop_group; /* group is the front end's drop group */
} layout[] = {
	{ "tmp", 01730, true },
	{ "new", 01770, true },
	{ "queue", 0700, false },
	{ "dead", 0700, false },
	{ "run", 0700, false },
	{ "deferred", 0700, false },
};

/* Creates (if missing) and opens directory name under at, then sets its
 * owner and mode through the descriptor, so that nothing is ever changed
 * through a symlink: fchmodat() and chown() follow links, and a spool
 * user who planted SPOOL/queue -> /etc would have root chmod /etc 0700.
 * follow is true only for the spool root (see spool/README); a symlink or
 * a non-directory anywhere below is refused. */
static enum ms_status
init_dir(int at, const char *path, const char *name, mode_t mode, uid_t uid,
    gid_t gid, bool chown_it, bool follow, int *out_fd, struct ms_err *err)
{
	const char *sep = at == AT_FDCWD ? "" : "/";
	const char *pre = at == AT_FDCWD ? "" : path;
	struct stat sb;
	int fd;

	if (mkdirat(at, name, mode) != 0 && errno != EEXIST)
		return ms_err_set(err, MS_CANTCREAT, "cannot create %s%s%s: %s",
		    pre, sep, name, strerror(errno));
	fd = openat(at, name,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		int e = errno;

		return ms_err_set(err, MS_CANTCREAT, "refusing %s%s%s: %s", pre,
		    sep, name,
		    e == ELOOP || e == ENOTDIR
			? "not a directory (a symlink or a file where the "
			  "spool needs its own directory; remove it and run "
			  "mailshim init again)"
			: strerror(e));
	}
	if (fstat(fd, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		close(fd);
		return ms_err_set(err, MS_CANTCREAT,
		    "refusing %s%s%s: not a directory", pre, sep, name);
	}
	if (chown_it && fchown(fd, uid, gid) != 0) {
		int e = errno;

		close(fd);
		return ms_err_set(err, MS_CANTCREAT, "cannot chown %s%s%s: %s",
		    pre, sep, name, strerror(e));
	}
	if (fchmod(fd, mode) != 0) {
		int e = errno;

		close(fd);
		return ms_err_set(err, MS_CANTCREAT, "cannot chmod %s%s%s: %s",
		    pre, sep, name, strerror(e));
	}
	if (out_fd != NULL)
		*out_fd = fd;
	else
		close(fd);
	return MS_OK;
}

enum ms_status
spool_init(const char *dir, const char *user, const char *drop_group,
    struct ms_err *err)
{
	bool as_root = geteuid() == 0 && user != NULL && drop_group != NULL;
	uid_t uid = (uid_t)-1;
	gid_t ugid = (gid_t)-1, dgid = (gid_t)-1;
	enum ms_status st;
	int fd = -1;

	if (as_root) {
		struct passwd *pw = getpwnam(user);
		struct group *gr = getgrnam(drop_group);

		if (pw == NULL || gr == NULL) {
			/* A private spool (tests, a trial run as root) works
			 * without them; a system install creates them first. */
			log_msg(LOG_WARNING,
			    "no %s \"%s\": %s stays owned by "
			    "root (contrib/install.sh creates the users of a "
			    "system install)",
			    pw == NULL ? "user" : "group",
			    pw == NULL ? user : drop_group, dir);
			as_root = false;
		} else {
			uid = pw->pw_uid;
			ugid = pw->pw_gid;
			dgid = gr->gr_gid;
		}
	}
	/* The root as configured, a symlink to it included (spool/README:
	 * it is the administrator's path); nothing below it is followed. */
	st = init_dir(
	    AT_FDCWD, dir, dir, 0710, uid, dgid, as_root, true, &fd, err);
	if (st != MS_OK)
		return st;
	for (size_t i = 0; i < MS_ARRAY_LEN(layout) && st == MS_OK; i++)
		st = init_dir(fd, dir, layout[i].name, layout[i].mode, uid,
		    layout[i].drop_group ? dgid : ugid, as_root, false, NULL,
		    err);
	close(fd);
	return st;
}

static int
verify_one(const char *dir, const char *name, mode_t mode, uid_t uid, gid_t gid,
    spool_report_fn report, void *arg)
{
	char path[4200], text[4400];
	struct stat sb;

	snprintf(path, sizeof(path), "%s%s%s", dir, name[0] ? "/" : "", name);
	/* The root may be a symlink (spool/README), nothing below it. */
	if ((name[0] ? lstat(path, &sb) : stat(path, &sb)) != 0 ||
	    !S_ISDIR(sb.st_mode)) {
		snprintf(text, sizeof(text), "%s is missing or not a directory",
		    path);
		report(text, arg);
		return 1;
	}
	if ((sb.st_mode & 07777) != mode) {
		snprintf(text, sizeof(text), "%s has mode %04o, want %04o",
		    path, (unsigned)(sb.st_mode & 07777), (unsigned)mode);
		report(text, arg);
		return 1;
	}
	if (uid != (uid_t)-1 && (sb.st_uid != uid || sb.st_gid != gid)) {
		char have_u[64], have_g[64];
		struct passwd *pw = getpwuid(sb.st_uid);
		struct group *gr = getgrgid(sb.st_gid);

		/* getpw*() reuse one buffer: copy before the next call. */
		ms_copy(have_u, sizeof(have_u), pw ? pw->pw_name : "?");
		ms_copy(have_g, sizeof(have_g), gr ? gr->gr_name : "?");
		pw = getpwuid(uid);
		gr = getgrgid(gid);
		snprintf(text, sizeof(text), "%s is owned by %s:%s, want %s:%s",
		    path, have_u, have_g, pw ? pw->pw_name : "?",
		    gr ? gr->gr_name : "?");
		report(text, arg);
		return 1;
	}
	return 0;
}

int
spool_verify(const char *dir, const char *user, const char *drop_group,
    spool_report_fn report, void *arg)
{
	struct passwd *pw = user != NULL ? getpwnam(user) : NULL;
	struct group *gr = drop_group != NULL ? getgrnam(drop_group) : NULL;
	uid_t uid = (uid_t)-1;
	gid_t ugid = (gid_t)-1, dgid = (gid_t)-1;
	int problems;

	if (pw != NULL && gr != NULL) {
		uid = pw->pw_uid;
		ugid = pw->pw_gid;
		dgid = gr->gr_gid;
	}
	problems = verify_one(dir, "", 0710, uid, dgid, report, arg);
	if (problems > 0)
		return problems;
	for (size_t i = 0; i < MS_ARRAY_LEN(layout); i++)
		problems += verify_one(dir, layout[i].name, layout[i].mode, uid,
		    layout[i].drop_group ? dgid : ugid, report, arg);
	return problems;
}

static int
open_area(int at, const char *name)
{
	return openat(
	    at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

enum ms_status
spool_open(struct spool *s, const char *dir, struct ms_err *err)
{
	struct {
		int *fd;
		const char *name;
	} dirs[] = {
		{ &s->tmpfd, "tmp" },
		{ &s->newfd, "new" },
		{ &s->queuefd, "queue" },
		{ &s->deadfd, "dead" },
		{ &s->runfd, "run" },
	};

	memset(s, 0, sizeof(*s));
	s->dirfd = s->tmpfd = s->newfd = s->queuefd = s->deadfd = s->runfd = -1;
	s->resfd = s->prefd = -1;
	s->deferfd = s->bucketfd = -1;
	s->dir = strdup(dir);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir == NULL || s->dirfd < 0) {
		int e = errno;

		spool_close(s);
		return ms_err_set(err, MS_TEMP, "cannot open spool %s: %s%s",
		    dir, strerror(e),
		    e == ENOENT	      ? " (run mailshim init)"
			: e == EACCES ? " (only root and the mailshim user may)"
				      : "");
	}
	for (size_t i = 0; i < MS_ARRAY_LEN(dirs); i++) {
		*dirs[i].fd = open_area(s->dirfd, dirs[i].name);
		if (*dirs[i].fd < 0) {
			int e = errno;

			spool_close(s);
			return ms_err_set(err, MS_TEMP,
			    "cannot open spool "
			    "%s/%s: %s%s",
			    dir, dirs[i].name, strerror(e),
			    e == EACCES ? " (only root and the mailshim user "
					  "may)"
					: "");
		}
	}
	/* A spool from before the schedule has none until `mailshim init`
	 * (run on every upgrade): deferred messages then stay in queue/. */
	s->deferfd = open_area(s->dirfd, "deferred");
	if (s->deferfd < 0 && errno != ENOENT) {
		int e = errno;

		spool_close(s);
		return ms_err_set(err, MS_TEMP,
		    "cannot open spool %s/deferred: %s", dir, strerror(e));
	}
	return MS_OK;
}

void
spool_close(struct spool *s)
{
	int *fds[] = { &s->dirfd, &s->tmpfd, &s->newfd, &s->queuefd, &s->deadfd,
		&s->runfd, &s->deferfd, &s->bucketfd };

	if (s->queuefd >= 0)
		reserve_release(s);
	for (size_t i = 0; i < MS_ARRAY_LEN(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(s->dir);
	s->dir = NULL;
}

static int
area_fd(const struct spool *s, enum spool_area area)
{
	return area == AREA_QUEUE   ? s->queuefd
	    : area == AREA_DEFERRED ? s->bucketfd
				    : s->deadfd;
}

static const char *
area_name(enum spool_area area)
{
	return area == AREA_QUEUE   ? "queue"
	    : area == AREA_DEFERRED ? "deferred"
				    : "dead";
}

/* The file name of message id in area: dead/ID.bad for a set-aside one. */
static void
msg_name(char *out, size_t len, enum spool_area area, const char *id)
{
	snprintf(out, len, "%s%s", id, area == AREA_BAD ? BAD_SUFFIX : "");
}

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

	set_aside(s, area_fd(s, area), area_name(area), id, why);
	/* Its history goes with it (dead/ID.state.bad), for the operator. */
	snprintf(state, sizeof(state), "%s" STATE_SUFFIX, id);
	if (faccessat(area_fd(s, area), state, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		set_aside(s, area_fd(s, area), area_name(area), state,
		    "the state of a message set aside");
	fsync(s->deadfd);
	fsync(area_fd(s, area));
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
	int fd = openat(s->tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
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
	int fd = openat(s->tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	time_t now = time(NULL);
	struct dirent *de;
	DIR *d;

	memset(u, 0, sizeof(*u));
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
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
	int fd = openat(s->newfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	clean_tmp(s, time(NULL));
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		log_msg(
		    LOG_ERR, "cannot read %s/new: %s", s->dir, strerror(errno));
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
	return moved;
}

static bool is_state_name(const char *name);

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
	int dfd = area_fd(s, area);
	int other = area_fd(s, area == AREA_DEAD ? AREA_QUEUE : AREA_DEAD);
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char id[SPOOL_ID_LEN + 1];
		bool tmp = n == SPOOL_ID_LEN + strlen(STATE_SUFFIX ".tmp") &&
		    strcmp(de->d_name + SPOOL_ID_LEN, STATE_SUFFIX ".tmp") == 0;
		bool idle;
		int mfd;

		if (!tmp && !is_state_name(de->d_name))
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
		    area_name(area), de->d_name);
	}
	closedir(d);
}

void
spool_sweep(struct spool *s)
{
	sweep_area(s, AREA_QUEUE);
	sweep_area(s, AREA_DEAD);
	sched_sweep(s);
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct spool_entry *)a)->id,
	    ((const struct spool_entry *)b)->id);
}

static bool
is_state_name(const char *name)
{
	size_t n = strlen(name);

	return n == SPOOL_ID_LEN + strlen(STATE_SUFFIX) &&
	    strcmp(name + SPOOL_ID_LEN, STATE_SUFFIX) == 0;
}

static int
find_entry(struct spool_entry *v, size_t n, const char *id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(v[mid].id, id, SPOOL_ID_LEN);

		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Reads an area directory: message ids into *v, state names into *states. */
static enum ms_status
read_area(struct spool *s, enum spool_area area, struct spool_entry **v,
    size_t *n, char ***states, size_t *nstates, struct ms_err *err)
{
	int fd =
	    openat(area_fd(s, area), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t cap = 0, scap = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return ms_err_set(err, MS_TEMP, "cannot read %s/%s: %s", s->dir,
		    area_name(area), strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (spool_id_valid(de->d_name)) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 256;
				*v = realloc(*v, cap * sizeof(**v));
			}
			if (*v == NULL)
				break;
			memset(&(*v)[*n], 0, sizeof(**v));
			memcpy((*v)[*n].id, de->d_name, SPOOL_ID_LEN + 1);
			(*n)++;
		} else if (is_state_name(de->d_name)) {
			if (*nstates == scap) {
				scap = scap ? scap * 2 : 64;
				*states =
				    realloc(*states, scap * sizeof(char *));
			}
			if (*states == NULL)
				break;
			(*states)[(*nstates)++] = strdup(de->d_name);
		}
	}
	closedir(d);
	if ((cap > 0 && *v == NULL) || (scap > 0 && *states == NULL))
		return ms_err_set(err, MS_TEMP, "out of memory");
	return MS_OK;
}

enum ms_status
spool_list(struct spool *s, enum spool_area area, struct spool_entry **entries,
    size_t *count, struct ms_err *err)
{
	struct spool_entry *v = NULL;
	char **states = NULL;
	size_t n = 0, nstates = 0;
	enum ms_status st;

	st = read_area(s, area, &v, &n, &states, &nstates, err);
	if (st == MS_OK && n > 0)
		qsort(v, n, sizeof(*v), entry_cmp);
	for (size_t i = 0; i < nstates; i++) {
		struct stat sb;
		int k = st == MS_OK ? find_entry(v, n, states[i]) : -1;

		if (states[i] != NULL && k >= 0 &&
		    fstatat(area_fd(s, area), states[i], &sb,
			AT_SYMLINK_NOFOLLOW) == 0) {
			v[k].has_state = true;
			v[k].next_try = (long long)sb.st_mtime;
		}
		free(states[i]);
	}
	free(states);
	if (st != MS_OK) {
		free(v);
		return st;
	}
	*entries = v;
	*count = n;
	return MS_OK;
}

static bool
is_bad_name(const char *name)
{
	size_t n = strlen(name), b = strlen(BAD_SUFFIX),
	       sb = strlen(STATE_SUFFIX BAD_SUFFIX);

	return n > b && strcmp(name + n - b, BAD_SUFFIX) == 0 &&
	    !(n > sb && strcmp(name + n - sb, STATE_SUFFIX BAD_SUFFIX) == 0);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum ms_status
spool_list_bad(
    struct spool *s, char ***names, size_t *count, struct ms_err *err)
{
	int fd = openat(s->deadfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char **v = NULL, **nv;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	*names = NULL;
	*count = 0;
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return ms_err_set(err, MS_TEMP, "cannot read %s/dead: %s",
		    s->dir, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		char *copy;

		if (!is_bad_name(de->d_name))
			continue;
		if ((copy = strdup(de->d_name)) == NULL ||
		    (nv = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			free(copy);
			spool_free_names(v, n);
			closedir(d);
			return ms_err_set(err, MS_TEMP, "out of memory");
		}
		v = nv;
		v[n++] = copy;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), name_cmp);
	*names = v;
	*count = n;
	return MS_OK;
}

void
spool_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

bool
spool_bad_id(const char *name, char *id)
{
	if (strlen(name) != SPOOL_ID_LEN + strlen(BAD_SUFFIX) ||
	    strcmp(name + SPOOL_ID_LEN, BAD_SUFFIX) != 0)
		return false;
	memcpy(id, name, SPOOL_ID_LEN);
	id[SPOOL_ID_LEN] = '\0';
	return spool_id_valid(id);
}

/* Reads up to max bytes of fd from offset 0 into a malloc'd buffer. */
static enum ms_status
read_head(int fd, size_t want, char **out, size_t *len, struct ms_err *err)
{
	char *buf = malloc(want ? want : 1);
	size_t got = 0;

	if (buf == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	while (got < want) {
		ssize_t n = pread(fd, buf + got, want - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return ms_err_set(
			    err, MS_TEMP, "read error: %s", strerror(errno));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	return MS_OK;
}

static enum ms_status
load_envelope(struct spool_msg *m, struct ms_err *err)
{
	size_t want = 16384, len, used;
	char *buf;
	enum ms_status st;

	for (;;) {
		if (want > (size_t)m->file_size)
			want = (size_t)m->file_size;
		if ((st = read_head(m->fd, want, &buf, &len, err)) != MS_OK)
			return st;
		st = env_parse(&m->env, buf, len, &used, err);
		free(buf);
		if (st == MS_OK) {
			m->body_offset = (off_t)used;
			break;
		}
		if (st != MS_DATA || len < want || want >= ENV_MAX_SIZE ||
		    want >= (size_t)m->file_size)
			return st;
		want *= 4;
		if (want > ENV_MAX_SIZE)
			want = ENV_MAX_SIZE;
	}
	if (strcmp(m->env.id, m->id) != 0) {
		env_free(&m->env);
		return ms_err_set(err, MS_DATA,
		    "envelope id does not match the "
		    "file name");
	}
	return MS_OK;
}

static enum ms_status
load_state(struct spool_msg *m, struct ms_err *err)
{
	char name[SPOOL_ID_LEN + sizeof(STATE_SUFFIX)], *buf;
	struct stat sb;
	size_t len;
	enum ms_status st;
	int fd;

	if (m->area == AREA_BAD) {
		/* set aside: its state (if any) was the damage; a fresh one */
		memset(&m->state, 0, sizeof(m->state));
		return MS_OK;
	}
	snprintf(name, sizeof(name), "%s" STATE_SUFFIX, m->id);
	fd = openat(
	    area_fd(m->s, m->area), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	/* (b): a deferred message's state may not have followed it yet. */
	if (fd < 0 && errno == ENOENT && m->area == AREA_DEFERRED)
		fd = openat(
		    m->s->queuefd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		memset(&m->state, 0, sizeof(m->state));
		return MS_OK;
	}
	/* EACCES (a state left by root), EMFILE, EIO...: the history of a
	 * good message is in there, so it waits; it is never set aside. */
	if (fd < 0) {
		int e = errno;

		return ms_err_set(err, MS_TEMP,
		    "cannot read %s/%s/%s: %s; the message waits until it "
		    "can be read%s",
		    m->s->dir, area_name(m->area), name, strerror(e),
		    e == EACCES ? " (chown it to the spool's owner)" : "");
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > STATE_MAX) {
		close(fd);
		return ms_err_set(err, MS_DATA,
		    "state file %s is unreadable or "
		    "odd",
		    name);
	}
	st = read_head(fd, (size_t)sb.st_size, &buf, &len, err);
	close(fd);
	if (st != MS_OK)
		return st;
	m->had_state = true;
	st = state_parse(&m->state, buf, len, err);
	free(buf);
	return st;
}

/* The front end creates the file as the submitting user (it is set-gid,
 * never set-uid), so the owner is who submitted it; the envelope's uid
 * line is only what the file says about itself. */
static void
take_owner(struct spool_msg *m, uid_t owner)
{
	static uid_t cached_uid = (uid_t)-1; /* listings: one lookup per uid */
	static char cached_name[256];
	bool same = m->env.uid == (long)owner;

	m->claimed_uid = m->env.uid;
	m->env.uid = (long)owner;
	if (owner != cached_uid) {
		struct passwd *pw = getpwuid(owner);

		cached_uid = owner;
		ms_copy(cached_name, sizeof(cached_name),
		    pw != NULL ? pw->pw_name : "");
	}
	/* The user line is the file's word too: the owner's login name when
	 * the system knows it; the envelope's only if its uid was right. */
	if (cached_name[0] == '\0' && same)
		return;
	free(m->env.user);
	m->env.user = cached_name[0] != '\0' ? strdup(cached_name) : NULL;
}

static enum ms_status
open_msg(struct spool *s, enum spool_area area, const char *id,
    struct spool_msg *m, bool claim, bool *busy, struct ms_err *err)
{
	struct stat sb, now;
	enum ms_status st;
	char fname[SPOOL_ID_LEN + sizeof(BAD_SUFFIX)];

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->s = s;
	m->area = area;
	if (busy != NULL)
		*busy = false;
	if (!spool_id_valid(id))
		return ms_err_set(
		    err, MS_USAGE, "\"%.40s\" is not a queue id", id);
	memcpy(m->id, id, SPOOL_ID_LEN + 1);
	msg_name(fname, sizeof(fname), area, id);
	m->fd = openat(area_fd(s, area), fname,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (m->fd < 0 && errno == ENOENT)
		return ms_err_set(err, MS_USAGE, "no message %s in %s", id,
		    area == AREA_BAD ? "queue or dead" : area_name(area));
	if (m->fd < 0) {
		st = ms_err_set(err, errno == ELOOP ? MS_DATA : MS_TEMP,
		    "cannot open %s/%s: %s", area_name(area), id,
		    strerror(errno));
		/* A symbolic link: nobody can claim (or deliver) it. */
		if (claim && st == MS_DATA && area == AREA_QUEUE)
			spool_quarantine(s, area, id, err->msg);
		return st;
	}
	if (claim && flock(m->fd, LOCK_EX | LOCK_NB) != 0) {
		spool_release(m);
		*busy = true;
		return MS_OK;
	}
	/* Still the same, linked file? (It may have been delivered and
	 * unlinked by the previous holder between our open and our lock.) */
	if (fstat(m->fd, &sb) != 0 ||
	    fstatat(area_fd(s, area), fname, &now, AT_SYMLINK_NOFOLLOW) != 0 ||
	    sb.st_ino != now.st_ino || sb.st_dev != now.st_dev ||
	    sb.st_nlink == 0) {
		spool_release(m);
		if (busy != NULL)
			*busy = true;
		return claim ? MS_OK
			     : ms_err_set(err, MS_USAGE,
				   "message %s "
				   "vanished",
				   id);
	}
	if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1) {
		st = ms_err_set(err, MS_DATA, "%s/%s is not a plain file",
		    area_name(area), fname);
	} else {
		m->file_size = sb.st_size;
		if ((st = load_envelope(m, err)) == MS_OK)
			st = load_state(m, err);
	}
	/* Damaged: set aside while the claim is still ours, so that it
	 * can never move a message another flusher is delivering. */
	if (claim && st == MS_DATA && area == AREA_QUEUE)
		spool_quarantine(s, area, id, err->msg);
	if (st != MS_OK) {
		spool_release(m);
		return st;
	}
	take_owner(m, sb.st_uid);
	return MS_OK;
}

enum ms_status
spool_claim(struct spool *s, enum spool_area area, const char *id,
    struct spool_msg *m, bool *busy, struct ms_err *err)
{
	return open_msg(s, area, id, m, true, busy, err);
}

enum ms_status
spool_peek(struct spool *s, enum spool_area area, const char *id,
    struct spool_msg *m, struct ms_err *err)
{
	return open_msg(s, area, id, m, false, NULL, err);
}

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
static enum ms_status
write_state(int dirfd, const char *id, const struct msg_state *st,
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
static struct spool *
reserve_for(struct spool_msg *m)
{
	return m->reserved && m->area == AREA_QUEUE ? m->s : NULL;
}

/* A fresh message's first state, written into this process's pre-state
 * slot and renamed to queue/ID.state (reserve.h): the same file, name,
 * content and mtime as write_state's, from an inode that is reused
 * rather than created. *used is false when no slot could be had (the
 * caller then writes a new file). */
static enum ms_status
write_pre(struct spool_msg *m, bool *used, struct ms_err *err)
{
	struct spool *s = m->s;
	char name[SPOOL_ID_LEN + sizeof(STATE_SUFFIX)];
	size_t len;
	enum ms_status rc;
	char *text;
	bool ok;
	int fd;

	*used = false;
	if ((fd = reserve_pre_take(s)) < 0)
		return MS_OK;
	*used = true;
	snprintf(name, sizeof(name), "%s" STATE_SUFFIX, m->id);
	if ((rc = state_format(&m->state, &text, &len, err)) != MS_OK)
		return rc;
	/* Cut only what the last state left beyond this one. */
	ok = put_state_text(
	    fd, text, len, (off_t)len != s->presize, m->state.next_try);
	free(text);
	if (!ok || renameat(s->queuefd, s->prename, s->queuefd, name) != 0) {
		rc = ms_err_set(err, MS_TEMP, "cannot write %s: %s", name,
		    errno ? strerror(errno) : "short write");
		unlinkat(s->queuefd, s->prename, 0);
		close(fd);
		s->prefd = -1;
		return rc;
	}
	s->presize = (off_t)len;
	snprintf(s->pre_id, sizeof(s->pre_id), "%s", m->id);
	return MS_OK;
}

enum ms_status
spool_prepare(struct spool_msg *m, long long next_try, struct ms_err *err)
{
	int dirfd = area_fd(m->s, m->area);
	long long keep = m->state.next_try;
	bool used = false;
	enum ms_status st;

	m->reserved = false;
	m->state.next_try = next_try;
	/* Synced so that an EIO shows here, before anything is sent; not
	 * for a fresh message (no state when claimed, nobody sent): the
	 * write (and the room reserved below) already shows a full or
	 * read-only spool, a kill -9 keeps what was written (the page
	 * cache survives it), and only a power loss can undo it, which
	 * before the finish's removal is durable already costs that
	 * message one duplicate. A state that records a sent recipient is
	 * synced by write_state. A fresh message's state comes from the
	 * pre-state slot (reserve.h). */
	if (!m->had_state && m->area == AREA_QUEUE && m->s->pre_id[0] == '\0' &&
	    !state_has_sent(&m->state))
		st = write_pre(m, &used, err);
	else
		st = MS_OK;
	if (!used && st == MS_OK) {
		reserve_pre_forget(m->s, m->id);
		st = write_state(dirfd, m->id, &m->state, NULL,
		    m->had_state ? WS_SYNC : 0, err);
	}
	m->state.next_try = keep;
	if (st != MS_OK)
		return st;
	if (m->area != AREA_QUEUE)
		return MS_OK;
	if ((st = reserve_take(m->s, state_room(&m->state), err)) != MS_OK)
		return st;
	m->reserved = true;
	return MS_OK;
}

enum ms_status
spool_save_state(struct spool_msg *m, struct ms_err *err)
{
	reserve_pre_forget(m->s, m->id); /* replaced */
	return write_state(area_fd(m->s, m->area), m->id, &m->state,
	    reserve_for(m), WS_SYNC | WS_DIRSYNC, err);
}

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

static void unlink_bad_state(int dirfd, const char *id);

enum ms_status
spool_delete_bad(struct spool *s, const char *id, struct ms_err *err)
{
	char name[SPOOL_ID_LEN + sizeof(BAD_SUFFIX)];

	if (!spool_id_valid(id))
		return ms_err_set(
		    err, MS_USAGE, "\"%.40s\" is not a queue id", id);
	msg_name(name, sizeof(name), AREA_BAD, id);
	if (unlinkat(s->deadfd, name, 0) != 0)
		return ms_err_set(err, errno == ENOENT ? MS_USAGE : MS_TEMP,
		    "cannot remove dead/%s: %s", name, strerror(errno));
	unlink_bad_state(s->deadfd, id);
	return MS_OK;
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
	int fd = area_fd(m->s, m->area);
	enum ms_status st;
	struct ms_err e2;

	if (unlinkat(fd, m->id, 0) != 0 && errno != ENOENT) {
		st = ms_err_set(err, MS_TEMP, "cannot remove %s/%s: %s",
		    area_name(m->area), m->id, strerror(errno));
		/* Everyone has it: say so, so that the next pass only
		 * removes it. */
		reserve_pre_forget(m->s, m->id);
		if (write_state(fd, m->id, &m->state, reserve_for(m),
			WS_SYNC | WS_DIRSYNC, &e2) != MS_OK)
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
		    "cannot sync %s/ after removing %s: %s", area_name(m->area),
		    m->id, strerror(errno));
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
	int from_fd = area_fd(m->s, m->area), to_fd = area_fd(m->s, to);
	enum ms_status st;

	reserve_pre_forget(m->s, m->id); /* the old state goes below */
	if ((st = write_state(to_fd, m->id, &m->state, NULL, WS_SYNC, err)) !=
	    MS_OK)
		return st;
	if (renameat(from_fd, m->id, to_fd, m->id) != 0) {
		st = ms_err_set(err, MS_TEMP, "cannot move %s to %s/: %s",
		    m->id, area_name(to), strerror(errno));
		unlink_state(to_fd, m->id);
		return st;
	}
	/* Both directories: the move (and the state beside it) must
	 * survive a power loss before the old state goes. */
	if (fsync(to_fd) != 0 || fsync(from_fd) != 0)
		return ms_err_set(err, MS_TEMP,
		    "cannot sync %s/ after moving %s there: %s", area_name(to),
		    m->id, strerror(errno));
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
	st = write_state(area_fd(m->s, m->area), m->id, &m->state,
	    reserve_for(m), WS_SYNC | WS_DIRSYNC, err);
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

	msg_name(bad, sizeof(bad), AREA_BAD, m->id);
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
	int fd = area_fd(m->s, m->area);
	char fname[SPOOL_ID_LEN + sizeof(BAD_SUFFIX)];

	msg_name(fname, sizeof(fname), m->area, m->id);
	/* Message first: an orphan state is harmless, a message without its
	 * state would be sent again to everyone. */
	if (unlinkat(fd, fname, 0) != 0 && errno != ENOENT) {
		enum ms_status st = ms_err_set(err, MS_TEMP,
		    "cannot remove "
		    "%s/%s: %s",
		    area_name(m->area), m->id, strerror(errno));

		spool_release(m);
		return st;
	}
	if (fsync(fd) != 0) {
		enum ms_status st = ms_err_set(err, MS_TEMP,
		    "cannot sync %s/ after removing %s: %s", area_name(m->area),
		    m->id, strerror(errno));

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

void
spool_wake(struct spool *s)
{
	int fd = openat(s->runfd, SPOOL_WAKE,
	    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd); /* IN_CLOSE_WRITE is the signal */
}

void
spool_release(struct spool_msg *m)
{
	/* Not delivered: queue/ID.state stays the message's state. */
	if (m->s != NULL)
		reserve_pre_forget(m->s, m->id);
	m->reserved = false; /* the room stays with the process */
	if (m->fd >= 0)
		close(m->fd); /* drops the flock */
	m->fd = -1;
	env_free(&m->env);
	state_free(&m->state);
}
