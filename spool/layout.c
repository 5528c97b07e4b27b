/*
 * layout.c - the spool's directories: create them with their owners and
 *            modes (mailshim init), check them (mailshim check), open and
 *            close them for the flusher; which directory an area is.
 *
 * API:    spool_init(), spool_verify(), spool_open(), spool_close()
 *         (spool.h); spool_area_fd(), spool_area_name(), spool_msg_name()
 *         for the rest of spool/ (spool_priv.h).
 * Trust:  the spool root named in the root-owned config may be a symlink
 *         and is followed; nothing below it is: every directory is opened
 *         with O_DIRECTORY|O_NOFOLLOW and changed only through its
 *         descriptor (spool/README, "Symlinks").
 * Errors: spool_init MS_CANTCREAT, spool_open MS_TEMP, with the path and
 *         the cause; spool_verify reports each problem as a sentence.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "reserve.h"
#include "spool_priv.h"

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
	s->resfd = -1;
	for (int i = 0; i < SPOOL_PRE_SLOTS; i++)
		s->pre[i].fd = -1;
	s->deferfd = s->bucketfd = s->sweepfd = -1;
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
		&s->runfd, &s->deferfd, &s->bucketfd, &s->sweepfd };

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

int
spool_area_fd(const struct spool *s, enum spool_area area)
{
	return area == AREA_QUEUE   ? s->queuefd
	    : area == AREA_DEFERRED ? s->bucketfd
				    : s->deadfd;
}

const char *
spool_area_name(enum spool_area area)
{
	return area == AREA_QUEUE   ? "queue"
	    : area == AREA_DEFERRED ? "deferred"
				    : "dead";
}

/* The file name of message id in area: dead/ID.bad for a set-aside one. */
void
spool_msg_name(char *out, size_t len, enum spool_area area, const char *id)
{
	snprintf(out, len, "%s%s", id, area == AREA_BAD ? BAD_SUFFIX : "");
}
