/*
 * reserve.h - the flusher's room for the next outcome, queue/.reserve-N
 *             (internal to spool/: state.c and outcome.c use it,
 *             layout.c and claim.c let go of it).
 *
 * Owns:   struct spool's resfd, resname, resroom and reserved, and pre[]
 *         (the pre-state slots, below).
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

/* The pre-state slots (struct spool's pre[]): two more slots of this
 * process, each written as a fresh message's first state and renamed to
 * queue/ID.state (its id = ID, "lent"); when that message is delivered,
 * queue/ID.state is renamed back into the slot instead of being removed,
 * so that a flusher that only delivers creates and frees no inode per
 * message. Two, so that the next message's state can be written while
 * the message on the wire holds the other. reserve_pre_take returns one
 * that is not lent (held, linked as a slot), or NULL with errno. */
struct spool_pre_slot *reserve_pre_take(struct spool *s);

/* Queue/ID.state (named state) is ours (lent to ID): rename it back into
 * its slot. False
 * (and the slot forgotten) when it cannot be; the caller removes it. */
bool reserve_pre_return(struct spool *s, const char *id, const char *state);

/* Queue/ID.state, if it is our pre-state, is no longer ours to take back
 * (replaced, filed, or left as the message's state): forget the slot. */
void reserve_pre_forget(struct spool *s, const char *id);

/* Removes our slots (end of a pass) and any slot nobody holds. */
void reserve_release(struct spool *s);

#endif
