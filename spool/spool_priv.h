/*
 * spool_priv.h - what the flusher's side of spool/ shares between its
 *                files: layout.c (directories, areas), pickup.c (new/ ->
 *                queue/, setting aside), sweep.c (orphans), listing.c,
 *                claim.c, state.c (writing ID.state) and outcome.c
 *                (finish, bury, requeue, delete). Only files in spool/
 *                include it; everyone else uses spool.h.
 */
#ifndef MS_SPOOL_PRIV_H
#define MS_SPOOL_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "spool.h"

#define STATE_SUFFIX ".state"
#define BAD_SUFFIX   ".bad"
#define WS_SYNC	     1 /* spool_write_state: fsync the file */
#define WS_DIRSYNC   2 /* ... and its directory after the rename */

/* The directory of an area: queue/, the chosen deferred/ bucket, or dead/
 * (AREA_DEAD and AREA_BAD). layout.c. */
int spool_area_fd(const struct spool *s, enum spool_area area);

/* The area's name for messages: "queue", "deferred" or "dead". */
const char *spool_area_name(enum spool_area area);

/* The file name of message id in area: dead/ID.bad for a set-aside one. */
void
spool_msg_name(char *out, size_t len, enum spool_area area, const char *id);

/* True for ID.state (any ID of the right length). listing.c. */
bool spool_is_state_name(const char *name);

/* Writes st as dirfd/ID.state through ID.state.tmp, or through the room
 * spool_prepare reserved when res is given (dirfd is then res's queue/);
 * mtime = st->next_try; flags WS_SYNC, WS_DIRSYNC, both forced when a
 * recipient is marked sent. MS_TEMP with the cause. state.c. */
enum ms_status
spool_write_state(int dirfd, const char *id, const struct msg_state *st,
    struct spool *res, int flags, struct ms_err *err);

/* The spool whose reserve spool_prepare kept for m, if m is where it can
 * be used (queue/), else NULL: the res of spool_write_state. state.c. */
struct spool *spool_reserve_for(struct spool_msg *m);

#endif
