/*
 * relay_maildir.c - the `maildir` transport: delivers into a local
 *                   Maildir (tmp/ -> new/), the capture a fresh install
 *                   uses and the local-dev sink.
 *
 * API:    relay_maildir_ops.
 * Format: one file per message for all its recipients, the message as
 *         stored (LF line ends) preceded by Return-Path: and one
 *         Delivered-To: per recipient, so the envelope can be read back.
 * Safety: the same discipline as the spool: O_EXCL in tmp/, fsync, rename
 *         into new/, fsync new/. A crash leaves at most a file in tmp/,
 *         removed after 36 hours (the Maildir convention).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "relay.h"

/* mkdir -p path, then path/{tmp,new,cur}. */
static enum ms_status
maildir_make(const char *path, struct ms_err *err)
{
	static const char *const sub[] = { "/tmp", "/new", "/cur" };
	char p[4096];

	if ((size_t)snprintf(p, sizeof(p), "%s", path) >= sizeof(p))
		return ms_err_set(err, MS_CONFIG, "maildir path too long");
	for (char *slash = p + 1;; slash++) {
		char c = *slash;

		if (c != '/' && c != '\0')
			continue;
		*slash = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return ms_err_set(err, MS_TEMP, "cannot create %s: %s",
			    p, strerror(errno));
		*slash = c;
		if (c == '\0')
			break;
	}
	for (size_t i = 0; i < MS_ARRAY_LEN(sub); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sub[i]);
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return ms_err_set(err, MS_TEMP, "cannot create %s: %s",
			    p, strerror(errno));
	}
	return MS_OK;
}

static enum ms_status
write_all(
    int fd, const char *buf, size_t len, const char *path, struct ms_err *err)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ms_err_set(err, MS_TEMP, "cannot write %s: %s",
			    path, n < 0 ? strerror(errno) : "short write");
		buf += n;
		len -= (size_t)n;
	}
	return MS_OK;
}

static enum ms_status
write_envelope(
    int fd, const struct relay_msg *msg, const char *path, struct ms_err *err)
{
	char line[1100];
	enum ms_status st;
	int n;

	n = snprintf(line, sizeof(line), "Return-Path: <%s>\n", msg->sender);
	if ((st = write_all(fd, line, (size_t)n, path, err)) != MS_OK)
		return st;
	for (size_t i = 0; i < msg->nrcpt; i++) {
		n = snprintf(line, sizeof(line), "Delivered-To: %s\n",
		    msg->rcpts[i].addr);
		if ((st = write_all(fd, line, (size_t)n, path, err)) != MS_OK)
			return st;
	}
	return MS_OK;
}

static enum ms_status
write_message(
    int fd, struct relay_msg *msg, const char *path, struct ms_err *err)
{
	char buf[65536];
	ssize_t n;
	enum ms_status st;

	if ((st = write_envelope(fd, msg, path, err)) != MS_OK)
		return st;
	msg_source_rewind(msg->src);
	while ((n = msg_source_read(msg->src, buf, sizeof(buf))) > 0)
		if ((st = write_all(fd, buf, (size_t)n, path, err)) != MS_OK)
			return st;
	if (n < 0)
		return ms_err_set(err, MS_TEMP,
		    "cannot read queued message: %s", strerror(errno));
	if (fsync(fd) != 0)
		return ms_err_set(
		    err, MS_TEMP, "cannot sync %s: %s", path, strerror(errno));
	return MS_OK;
}

/* Removes what flushers killed mid-write left in tmp/: our own files
 * (".M...P...Q<queue id>.<hostname>") older than 36 hours, the Maildir
 * convention. Once an hour per process. */
static void
maildir_clean_tmp(const char *dir, const char *hostname)
{
	static time_t last;
	char path[4200];
	time_t now = time(NULL);
	struct dirent *de;
	DIR *d;
	int fd;

	if (now - last < 3600 && now >= last)
		return;
	last = now;
	snprintf(path, sizeof(path), "%s/tmp", dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		const char *host = strrchr(de->d_name, '.');
		struct stat sb;

		if (strstr(de->d_name, ".M") == NULL ||
		    strstr(de->d_name, "Q") == NULL || host == NULL ||
		    (hostname != NULL &&
			strstr(de->d_name, hostname) == NULL) ||
		    fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(sb.st_mode) || now - sb.st_mtime < 36 * 3600)
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			log_msg(LOG_INFO,
			    "removed %s/%.200s (left by an interrupted "
			    "delivery)",
			    path, de->d_name);
	}
	closedir(d);
}

static enum ms_status
maildir_write(struct relay *r, struct relay_msg *msg, struct ms_err *err)
{
	const char *dir = r->conf->path;
	char name[256], tmp[4400], dst[4400];
	struct timeval tv;
	enum ms_status st;
	int fd, dfd;

	if ((st = maildir_make(dir, err)) != MS_OK)
		return st;
	maildir_clean_tmp(dir, r->global->hostname);
	gettimeofday(&tv, NULL);
	snprintf(name, sizeof(name), "%lld.M%ldP%ldQ%s.%s",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), msg->qid,
	    r->global->hostname);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
	snprintf(dst, sizeof(dst), "%s/new/%s", dir, name);
	snprintf(
	    msg->peer, sizeof(msg->peer), "%s[%.200s]", r->conf->name, dir);
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ms_err_set(
		    err, MS_TEMP, "cannot create %s: %s", tmp, strerror(errno));
	st = write_message(fd, msg, tmp, err);
	if (close(fd) != 0 && st == MS_OK)
		st = ms_err_set(
		    err, MS_TEMP, "cannot close %s: %s", tmp, strerror(errno));
	if (st == MS_OK && rename(tmp, dst) != 0)
		st = ms_err_set(
		    err, MS_TEMP, "cannot rename %s: %s", tmp, strerror(errno));
	if (st != MS_OK) {
		unlink(tmp);
		return st;
	}
	snprintf(tmp, sizeof(tmp), "%s/new", dir);
	dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		/* Delivered but maybe not durable: say temp, accept a dup. */
		st = ms_err_set(
		    err, MS_TEMP, "cannot sync %s: %s", tmp, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return st;
	}
	close(dfd);
	ms_copy(msg->remote_id, sizeof(msg->remote_id), name);
	for (size_t i = 0; i < msg->nrcpt; i++) {
		msg->rcpts[i].result = MS_OK;
		ms_copy(msg->rcpts[i].reply, sizeof(msg->rcpts[i].reply),
		    "delivered to maildir");
	}
	return MS_OK;
}

/* A local write failure (disk full, bad path) is the message's
 * temporary failure, not a relay outage: there is no remote to protect
 * with a hold, so the results carry it and the relay stays usable. */
static enum ms_status
maildir_send(struct relay *r, struct relay_msg *msg, struct ms_err *err)
{
	enum ms_status st = maildir_write(r, msg, err);

	if (st == MS_OK)
		return MS_OK;
	for (size_t i = 0; i < msg->nrcpt; i++) {
		msg->rcpts[i].result = MS_TEMP;
		ms_copy(
		    msg->rcpts[i].reply, sizeof(msg->rcpts[i].reply), err->msg);
	}
	return MS_OK;
}

const struct relay_ops relay_maildir_ops = {
	.type = "maildir",
	.send = maildir_send,
};
