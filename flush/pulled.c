/*
 * pulled.c - the record of SQS hand-offs taken into this spool
 *            (SPOOL/run/pulled/KEY), crash-safe and bounded.
 *
 * API:    pulled_open(), pulled_take(), pulled_commit_id(),
 *         pulled_release(), pulled_prune(), pulled_key_valid(),
 *         pulled_close(). Documented in pulled.h.
 * Trust:  runs as the mailshim user; key names come from SQS message
 *         attributes and are checked (pulled_key_valid) before use.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pulled.h"
#include "spool.h"

bool
pulled_key_valid(const char *key)
{
	size_t i;

	for (i = 0; key[i] != '\0'; i++)
		if (!((key[i] >= '0' && key[i] <= '9') ||
			(key[i] >= 'A' && key[i] <= 'Z') ||
			(key[i] >= 'a' && key[i] <= 'z') || key[i] == '-'))
			return false;
	return i > 0 && i < 64 && key[0] != '-';
}

enum ms_status
pulled_open(struct pulled *pd, const char *spool, struct ms_err *err)
{
	pd->runfd = pd->dirfd = pd->tmpfd = -1;
	if (snprintf(pd->path, sizeof(pd->path), "%s/run/pulled", spool) >=
	    (int)sizeof(pd->path))
		return ms_err_set(err, MS_CONFIG, "spool path too long");
	if (mkdir(pd->path, 0700) != 0 && errno != EEXIST)
		return ms_err_set(err, MS_TEMP, "cannot create %s: %s",
		    pd->path, strerror(errno));
	pd->dirfd =
	    open(pd->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pd->dirfd < 0)
		return ms_err_set(err, MS_TEMP, "cannot open %s: %s", pd->path,
		    strerror(errno));
	pd->runfd = openat(pd->dirfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* tmp/ is opened when a message is taken: a damaged spool must not
	 * stop receiving (what cannot be written goes back to SQS and,
	 * after maxReceiveCount, to its dead-letter queue). */
	return MS_OK;
}

static enum ms_status
tmp_open(struct pulled *pd, struct ms_err *err)
{
	char tmp[4200];
	size_t n = strlen(pd->path) - strlen("/run/pulled");

	if (pd->tmpfd >= 0)
		return MS_OK;
	snprintf(tmp, sizeof(tmp), "%.*s/tmp", (int)n, pd->path);
	pd->tmpfd = open(tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pd->tmpfd < 0)
		return ms_err_set(
		    err, MS_TEMP, "cannot open %s: %s", tmp, strerror(errno));
	return MS_OK;
}

void
pulled_close(struct pulled *pd)
{
	if (pd->dirfd >= 0)
		close(pd->dirfd);
	if (pd->tmpfd >= 0)
		close(pd->tmpfd);
	if (pd->runfd >= 0)
		close(pd->runfd);
	pd->runfd = pd->dirfd = pd->tmpfd = -1;
}

/* The local id a record names, "" when it has none (yet). */
static void
record_id(int fd, char *id)
{
	char buf[SPOOL_ID_LEN + 2];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	id[0] = '\0';
	if (n == SPOOL_ID_LEN + 1 && buf[SPOOL_ID_LEN] == '\n') {
		buf[SPOOL_ID_LEN] = '\0';
		if (spool_id_valid(buf))
			memcpy(id, buf, SPOOL_ID_LEN + 1);
	}
}

enum ms_status
pulled_take(struct pulled *pd, const char *key, enum pulled_verdict *v, int *fd,
    struct ms_err *err)
{
	char id[SPOOL_ID_LEN + 1];
	struct stat sb;

	*fd = -1;
	if (!pulled_key_valid(key))
		return ms_err_set(err, MS_DATA, "bad hand-off key");
	if (tmp_open(pd, err) != MS_OK)
		return MS_TEMP;
	for (int tries = 0; tries < 3; tries++) {
		int f = openat(pd->dirfd, key,
		    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (f >= 0) {
			flock(f, LOCK_EX); /* nobody else has it yet */
			*v = PULLED_NEW;
			*fd = f;
			return MS_OK;
		}
		if (errno != EEXIST)
			return ms_err_set(err, MS_TEMP,
			    "cannot create %s/%s: %s", pd->path, key,
			    strerror(errno));
		f = openat(pd->dirfd, key, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (f < 0 && errno == ENOENT)
			continue; /* pruned or released meanwhile */
		if (f < 0)
			return ms_err_set(err, MS_TEMP, "cannot open %s/%s: %s",
			    pd->path, key, strerror(errno));
		if (flock(f, LOCK_EX | LOCK_NB) != 0) {
			close(f);
			*v = PULLED_BUSY;
			return MS_OK;
		}
		/* Still linked? (a releasing puller may have removed it) */
		if (fstatat(pd->dirfd, key, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			close(f);
			continue;
		}
		record_id(f, id);
		if (id[0] != '\0' &&
		    fstatat(pd->tmpfd, id, &sb, AT_SYMLINK_NOFOLLOW) != 0 &&
		    errno == ENOENT) {
			close(f);
			*v = PULLED_DUPLICATE;
			return MS_OK;
		}
		/* Left by a crash before the message was committed: the
		 * half-written copy goes, this one is written instead. */
		if (id[0] != '\0') {
			log_msg(LOG_NOTICE,
			    "pull: %s: %s was never committed; taking the "
			    "hand-off again",
			    key, id);
			unlinkat(pd->tmpfd, id, 0);
		}
		if (ftruncate(f, 0) != 0) {
			close(f);
			return ms_err_set(err, MS_TEMP,
			    "cannot truncate %s/%s: %s", pd->path, key,
			    strerror(errno));
		}
		*v = PULLED_NEW;
		*fd = f;
		return MS_OK;
	}
	return ms_err_set(err, MS_TEMP, "%s/%s keeps changing", pd->path, key);
}

enum ms_status
pulled_commit_id(struct pulled *pd, const char *key, int fd,
    const char *localid, struct ms_err *err)
{
	char line[SPOOL_ID_LEN + 2];
	int n = snprintf(line, sizeof(line), "%s\n", localid);

	if (n != SPOOL_ID_LEN + 1 || pwrite(fd, line, (size_t)n, 0) != n ||
	    fsync(fd) != 0 || fsync(pd->dirfd) != 0)
		return ms_err_set(err, MS_TEMP, "cannot write %s/%s: %s",
		    pd->path, key, strerror(errno));
	return MS_OK;
}

void
pulled_release(struct pulled *pd, const char *key, int fd, bool forget)
{
	if (fd < 0)
		return;
	if (forget && unlinkat(pd->dirfd, key, 0) == 0)
		fsync(pd->dirfd);
	close(fd); /* drops the lock */
}

struct rec {
	long long mtime;
	char name[64];
};

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

size_t
pulled_prune(struct pulled *pd, long long max_age, size_t max_records)
{
	long long cutoff = (long long)time(NULL) - max_age;
	struct rec *recs = NULL, *p;
	size_t n = 0, cap = 0, removed = 0;
	struct dirent *de;
	struct stat sb;
	DIR *d;

	if ((d = ms_opendir_at(pd->dirfd)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!pulled_key_valid(de->d_name) ||
		    fstatat(pd->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) !=
			0)
			continue;
		if ((long long)sb.st_mtime < cutoff) {
			if (unlinkat(pd->dirfd, de->d_name, 0) == 0)
				removed++;
			continue;
		}
		if (max_records == 0)
			continue;
		if ((p = ms_grow(recs, &cap, n, sizeof(*recs), 1024)) == NULL)
			break;
		recs = p;
		recs[n].mtime = (long long)sb.st_mtime;
		ms_copy(recs[n].name, sizeof(recs[n].name), de->d_name);
		n++;
	}
	closedir(d);
	if (max_records > 0 && n > max_records) {
		qsort(recs, n, sizeof(*recs), rec_cmp);
		log_msg(LOG_WARNING,
		    "pull: %zu records of hand-offs taken, more than "
		    "max_records %zu: forgetting the %zu oldest (copies of "
		    "those SQS might still deliver would be written again)",
		    n, max_records, n - max_records);
		for (size_t i = 0; i < n - max_records; i++)
			if (unlinkat(pd->dirfd, recs[i].name, 0) == 0)
				removed++;
		n = max_records;
	}
	free(recs);
	if (removed > 0) {
		fsync(pd->dirfd);
		log_verbose("pull: removed %zu old hand-off records", removed);
	}
	return n;
}
