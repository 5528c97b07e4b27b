/*
 * reserve.h - the flusher's room for the next outcome, queue/.reserve-N
 *             (internal to spool/: queue.c is the only caller).
 *
 * Owns:   struct spool's resfd, resname, resroom and reserved.
 * Errors: MS_TEMP with the cause; the caller then sends nothing.
 */
#ifndef MS_RESERVE_H
#define MS_RESERVE_H

#include <stddef.h>
#include <sys/types.h>

#include "spool.h"

#define RESERVE_PREFIX ".reserve-"
#define RESERVE_SLOTS  256 /* flushers at once on one spool */

/* Makes sure this process holds a slot with at least room bytes of
 * blocks allocated. */
enum ms_status reserve_take(struct spool *s, off_t room, struct ms_err *err);

/* Hands the slot over to write_state: its fd (or -1 when none is held),
 * its name in queue/ into name. The slot is no longer ours: the caller
 * renames it over ID.state (or removes it) and closes it. */
int reserve_use(struct spool *s, char *name, size_t len);

/* Removes our slot (end of a pass) and any slot nobody holds. */
void reserve_release(struct spool *s);

#endif
