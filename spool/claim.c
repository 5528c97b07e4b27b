/*
 * claim.c - takes one message of the spool: opens it, claims it (or only
 *           peeks at it), reads its envelope and its state; releases it.
 *
 * API:    spool_claim(), spool_peek(), spool_release() (spool.h).
 * Claims: an exclusive flock on the message file. The kernel drops it when
 *         the holder dies, so a kill -9 never leaves a message stuck.
 * Trust:  nothing found in the spool is trusted: the file is opened with
 *         O_NOFOLLOW and checked to be regular and singly linked, the
 *         envelope and state parsed defensively (envelope.c,
 *         state_text.c), and the submitter is the file's owner, not what
 *         the envelope says.
 * Errors: MS_USAGE (no such message), MS_DATA (damaged: set aside while
 *         the claim is held), MS_TEMP (cannot be read now: left alone).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reserve.h"
#include "spool_priv.h"

#define STATE_MAX (16 * 1024 * 1024)

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
		if (st == MS_OK) {
			m->body_offset = (off_t)used;
			/* The whole file: what the relay reads, too. */
			if ((off_t)len == m->file_size)
				m->image = buf;
			else
				free(buf);
			break;
		}
		free(buf);
		if (st != MS_DATA || len < want || want >= ENV_MAX_SIZE ||
		    want >= (size_t)m->file_size)
			return st;
		want *= 4;
		if (want > ENV_MAX_SIZE)
			want = ENV_MAX_SIZE;
	}
	if (strcmp(m->env.id, m->id) != 0) {
		env_free(&m->env);
		free(m->image);
		m->image = NULL;
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
	fd = openat(spool_area_fd(m->s, m->area), name,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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
		    m->s->dir, spool_area_name(m->area), name, strerror(e),
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
	spool_msg_name(fname, sizeof(fname), area, id);
	m->fd = openat(spool_area_fd(s, area), fname,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (m->fd < 0 && errno == ENOENT)
		return ms_err_set(err, MS_USAGE, "no message %s in %s", id,
		    area == AREA_BAD ? "queue or dead" : spool_area_name(area));
	if (m->fd < 0) {
		st = ms_err_set(err, errno == ELOOP ? MS_DATA : MS_TEMP,
		    "cannot open %s/%s: %s", spool_area_name(area), id,
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
	    fstatat(spool_area_fd(s, area), fname, &now, AT_SYMLINK_NOFOLLOW) !=
		0 ||
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
		    spool_area_name(area), fname);
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
	free(m->image);
	m->image = NULL;
	env_free(&m->env);
	state_free(&m->state);
}
