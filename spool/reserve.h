/*
 * reserve.h - the flusher's room for the next outcome, queue/.reserve-N
 *             (internal to spool/: state.c and outcome.c use it,
 *             layout.c and claim.c let go of it).
 *
 * Owns:   struct spool's resfd, resname, resroom and reserved; prefd,
 *         prename and pre_id (the pre-state slot, below).
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

/* Hands the slot over to spool_write_state: its fd (or -1 when none is
 * held), its name in queue/ into name. The slot is no longer ours: the caller
 * renames it over ID.state (or removes it) and closes it. */
int reserve_use(struct spool *s, char *name, size_t len);

/* The pre-state slot: a second slot of this process, written as a fresh
 * message's first state and renamed to queue/ID.state (pre_id = ID);
 * when that message is delivered, queue/ID.state is renamed back into a
 * slot instead of being removed, so that a flusher that only delivers
 * creates and frees no inode per message. reserve_pre_take returns its
 * fd (held, linked as a slot), or -1 with errno. */
int reserve_pre_take(struct spool *s);

/* Queue/ID.state (named state) is ours (pre_id): rename it back into a
 * slot. False
 * (and the slot forgotten) when it cannot be; the caller removes it. */
bool reserve_pre_return(struct spool *s, const char *id, const char *state);

/* Queue/ID.state, if it is our pre-state, is no longer ours to take back
 * (replaced, filed, or left as the message's state): forget the slot. */
void reserve_pre_forget(struct spool *s, const char *id);

/* Removes our slots (end of a pass) and any slot nobody holds. */
void reserve_release(struct spool *s);

#endif
