/*
 * pulled.h - the record of SQS hand-offs `mailshim pull` took into this
 *            spool, so a message SQS delivers twice is written once, even
 *            after the first copy was delivered and removed.
 *
 * API:    pulled_open(), pulled_take(), pulled_commit_id(),
 *         pulled_release(), pulled_prune(), pulled_close().
 * Format: SPOOL/run/pulled/KEY, one file per hand-off (KEY is
 *         relay_sqs_key(): QID-HASH), holding the local queue id it was
 *         written as ("ID\n"). Its mtime is when it was taken; files older
 *         than the queue's MessageRetentionPeriod are removed (SQS cannot
 *         deliver the message again after that), and at most max_records
 *         are kept (the oldest go first). spool/README "Pulling from SQS".
 * Order:  create KEY (O_EXCL, flock'ed while the message is written),
 *         write the local id, fsync KEY and the directory, write and
 *         commit the message. A crash before the commit leaves KEY naming
 *         a tmp/ID that still exists: the next copy is taken again.
 * Errors: MS_TEMP with the path and cause.
 */
#ifndef MS_PULLED_H
#define MS_PULLED_H

#include <stdbool.h>
#include <stddef.h>

#include "ms.h"

struct pulled {
	int runfd; /* SPOOL/run */
	int dirfd; /* SPOOL/run/pulled */
	int tmpfd; /* SPOOL/tmp (O_PATH) */
	char path[4096];
};

enum pulled_verdict {
	PULLED_NEW,	  /* ours to write: *fd is locked */
	PULLED_DUPLICATE, /* written before: delete the copy */
	PULLED_BUSY,	  /* another puller is writing it right now */
};

/* Opens (creating) SPOOL/run/pulled. */
enum ms_status
pulled_open(struct pulled *pd, const char *spool, struct ms_err *err);

/* Claims key; *fd is the locked record when PULLED_NEW (then call
 * pulled_commit_id before committing the message and pulled_release
 * after). A record left by a crash before its message was committed is
 * taken over (its tmp/ file removed). */
enum ms_status pulled_take(struct pulled *pd, const char *key,
    enum pulled_verdict *v, int *fd, struct ms_err *err);

/* Writes the local queue id into the record and makes it durable. */
enum ms_status pulled_commit_id(struct pulled *pd, const char *key, int fd,
    const char *localid, struct ms_err *err);

/* Closes the record; with forget (the message was not committed) removes
 * it first. */
void pulled_release(struct pulled *pd, const char *key, int fd, bool forget);

/* Removes records older than max_age seconds, then the oldest beyond
 * max_records (0 = no count limit). Returns how many remain. */
size_t pulled_prune(struct pulled *pd, long long max_age, size_t max_records);

/* True when key is a name pulled_take accepts. */
bool pulled_key_valid(const char *key);

void pulled_close(struct pulled *pd);

#endif
