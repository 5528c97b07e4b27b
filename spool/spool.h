/*
 * spool.h - the on-disk queue: the only code that creates, commits,
 *           claims, defers, buries or deletes queue files.
 *
 * Layout (spool/README has owners, modes and the file format):
 *   tmp/    the front end writes a message here            1730
 *   new/    committed by rename, waiting for the flusher    1770
 *   queue/  picked up by the flusher; ID + ID.state         0700
 *   deferred/YYYYMMDDHHMM/  deferred ID + ID.state (schedule.h) 0700
 *   dead/   dead letters; ID + ID.state                     0700
 *   run/    locks and shared relay state                    0700
 *
 * Owns:   spool/: the writer (writer.c); the flusher's side: the
 *         directories (layout.c), pickup from new/ and tmp/ (pickup.c),
 *         orphans (sweep.c), listings (listing.c), claims (claim.c),
 *         writing states (state.c), finish, bury, requeue, delete
 *         (outcome.c), with what they share in spool_priv.h; the envelope
 *         and state file formats (envelope.c, state_text.c, and the line
 *         text they share in spool_text.c), the schedule of deferred
 *         messages (schedule.c, schedule.h; its buckets in
 *         schedule_bucket.c, the admin commands' walks in
 *         schedule_walk.c).
 * Calls:  lib/ only; linked by the front end and by mailshim.
 * Trust:  the writer side runs inside the set-gid front end and touches
 *         only tmp/ and new/. The reader side trusts nothing it finds.
 * Errors: MS_TEMP for anything that may work later (ENOSPC, EDQUOT, EIO
 *         while writing, a missing spool), with the path and cause.
 */
#ifndef MS_SPOOL_H
#define MS_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "envelope.h"
#include "ms.h"

#define SPOOL_ID_LEN   22 /* 14 hex digits of usec + 8 random */
#define SPOOL_BUF_SIZE 16384

/* ---- writer side (front end) ---- */

struct spool_writer {
	int spoolfd;	  /* the spool directory */
	int tmpfd, newfd; /* tmp/ and new/ */
	int fd;		  /* tmp/ID while writing */
	char id[SPOOL_ID_LEN + 1];
	bool committed;	  /* renamed into new/: never unlink */
	char spool[4096]; /* for messages */
	size_t written;	  /* bytes so far */
	size_t limit;	  /* 0 = none; beyond it spool_write fails */
	size_t buflen;
	char buf[SPOOL_BUF_SIZE];
};

/* Makes a fresh queue id (time in microseconds + 32 random bits, upper
 * case hex) into id[SPOOL_ID_LEN + 1]. Ids sort by arrival. */
enum ms_status spool_make_id(char *id, struct ms_err *err);

/* True when name looks like a queue id (length and alphabet). */
bool spool_id_valid(const char *name);

/* Opens spool/tmp/ID exclusively (mode 0600, no symlinks followed). */
enum ms_status spool_create(struct spool_writer *w, const char *spool,
    size_t limit, struct ms_err *err);

/* Buffered write; MS_DATA when the size limit is passed. */
enum ms_status spool_write(
    struct spool_writer *w, const void *data, size_t len, struct ms_err *err);

/* Flushes, fsyncs, marks the file complete, renames tmp/ID to new/ID and
 * fsyncs new/. Only after MS_OK may the caller report success. On error
 * the file is gone (or, if the rename happened, complete and queued; the
 * caller still reports MS_TEMP: a duplicate beats a loss). */
enum ms_status spool_commit(struct spool_writer *w, struct ms_err *err);

/* Unlinks tmp/ID if it is still there and closes everything. Safe to call
 * after commit and more than once. */
void spool_abort(struct spool_writer *w);

/* ---- reader side (flusher and admin tools) ---- */

/* AREA_BAD: a message set aside as damaged, dead/ID.bad (its state, if
 * any, beside it as dead/ID.state.bad). Claimed and peeked like the
 * others, always with a fresh (empty) state.
 * AREA_DEFERRED: a message in the bucket sched_use_bucket() chose
 * (schedule.h), for spool_peek only: it is returned to queue/ before
 * anyone claims it. */
enum spool_area { AREA_QUEUE, AREA_DEAD, AREA_BAD, AREA_DEFERRED };

#define SPOOL_PRE_SLOTS 2

struct spool {
	char *dir;
	int dirfd, tmpfd, newfd, queuefd, deadfd, runfd;
	unsigned unsynced; /* messages removed from queue/ since its fsync */
	int resfd;	   /* queue/.reserve-N held by this process, or -1 */
	char resname[24];  /* its name */
	off_t resroom;	   /* bytes allocated in it */
	bool reserved;	   /* a slot was taken since the last pass end */
	/* queue/.reserve-N kept for fresh messages' first states
	 * (reserve.h): two, so that the next message's state can be
	 * written while the one on the wire still holds the other. */
	struct spool_pre_slot {
		int fd;	       /* or -1 */
		char name[24]; /* its name while it is a slot */
		off_t size;    /* its size (we are its only writer) */
		char id[SPOOL_ID_LEN + 1]; /* while it is queue/ID.state */
	} pre[SPOOL_PRE_SLOTS];
	int deferfd;  /* deferred/, -1 in a spool from before it */
	int bucketfd; /* the bucket AREA_DEFERRED reads, or -1 */
	int sweepfd;  /* run/flushing, locked since spool_sweep, or -1 */
};

/* queue/ is fsynced after this many removals of delivered messages, and
 * by spool_sync() at the end of every pass (spool/README). */
#define SPOOL_SYNC_EVERY 64

/* Creates the layout with its modes; when running as root, chowns to
 * user:drop_group (NULL: leave ownership alone). */
enum ms_status spool_init(const char *dir, const char *user,
    const char *drop_group, struct ms_err *err);

/* Checks the layout's types, modes and (when user and drop_group exist on
 * this system) owners; calls report once per problem with a sentence
 * that says what is wrong. Returns the number of problems. */
typedef void (*spool_report_fn)(const char *problem, void *arg);
int spool_verify(const char *dir, const char *user, const char *drop_group,
    spool_report_fn report, void *arg);

/* Opens an existing spool (MS_TEMP with the reason when it is missing or
 * unreadable, which for a non-root user names the permission problem). */
enum ms_status spool_open(struct spool *s, const char *dir, struct ms_err *err);
void spool_close(struct spool *s);

/* Moves committed messages from new/ to queue/ after checking each is a
 * plain, complete, singly-linked file; sets odd files aside with a log
 * line. Removes tmp/ files whose writer is gone (no flock on them) for 10
 * minutes, or that it cannot test, a day. One process at a time: waits
 * for another's pickup (an flock on new/). Returns how many moved. */
size_t spool_pickup(struct spool *s);

/* What is in tmp/: messages being written, or abandoned by a killed
 * front end (stale: unchanged for 10 minutes), for stats and check. */
struct spool_tmp_usage {
	size_t files, stale;
	long long bytes;
};
void spool_tmp_usage(struct spool *s, struct spool_tmp_usage *u);

struct spool_entry {
	char id[SPOOL_ID_LEN + 1];
	long long next_try; /* 0 = due now (never tried) */
	bool has_state;	    /* tried before (ID.state exists) */
};

/* Lists an area, sorted by id (arrival). Cost: one readdir plus one
 * fstatat per state file; no message is opened. */
enum ms_status spool_list(struct spool *s, enum spool_area area,
    struct spool_entry **entries, size_t *n, struct ms_err *err);

/* Lists every file set aside in dead/ (NAME.bad, but not the states
 * ID.state.bad beside them), sorted; free with spool_free_names(). */
enum ms_status
spool_list_bad(struct spool *s, char ***names, size_t *n, struct ms_err *err);
void spool_free_names(char **names, size_t n);

/* True when a set-aside name is ID.bad for a queue id (copied into
 * id[SPOOL_ID_LEN + 1]); other names were never messages. */
bool spool_bad_id(const char *name, char *id);

/* A message owned by one flusher while it holds the claim. */
struct spool_msg {
	struct spool *s;
	enum spool_area area;
	char id[SPOOL_ID_LEN + 1];
	int fd; /* the message file, flock'ed */
	struct envelope env;
	off_t body_offset; /* first byte of the RFC 5322 message */
	off_t file_size;
	char *image; /* the whole file when the claim's read took it all (a
			small message: read once), else NULL */
	struct msg_state state;
	long claimed_uid; /* the envelope's uid line; env.uid is the owner's */
	bool reserved;	  /* spool_prepare kept room for the outcome */
	bool prepared;	  /* spool_prepare wrote its state */
	bool had_state;	  /* an ID.state was there when it was claimed */
};

/* Claims queue or dead message id: opens it without following links,
 * takes an exclusive non-blocking flock (released by the kernel if this
 * process dies), checks it is still linked, then reads envelope and state.
 * The submitter is the file's owner, whatever the envelope says: env.uid
 * (and env.user, when they differ) come from the owner; claimed_uid keeps
 * the envelope's own line so the caller can log the mismatch.
 * *busy is set (and MS_OK returned, nothing claimed) when another process
 * holds it or it vanished meanwhile. MS_DATA for a damaged file, which
 * has then been set aside as dead/ID.bad while the claim was held.
 * MS_TEMP (a state that cannot be read now...) leaves it alone. */
enum ms_status spool_claim(struct spool *s, enum spool_area area,
    const char *id, struct spool_msg *m, bool *busy, struct ms_err *err);

/* Reads envelope and state without claiming (listings, show). */
enum ms_status spool_peek(struct spool *s, enum spool_area area, const char *id,
    struct spool_msg *m, struct ms_err *err);

/* Before anything is sent: writes m->state with next_try as its due time
 * (what a flusher killed in the transaction leaves), then makes sure the
 * process holds room for the outcome (queue/.reserve-N, kept from one
 * message to the next until an outcome uses it). The state is
 * fsynced unless the message is fresh (no state when claimed, nobody
 * sent): only a power loss undoes that write, and a power loss may
 * already cost a fresh message one duplicate (spool/README). An error
 * means the spool cannot record what happens: send nothing (issue 19:
 * a spool that cannot record an outcome must not send the same thing
 * again on every pass). */
enum ms_status
spool_prepare(struct spool_msg *m, long long next_try, struct ms_err *err);

/* A fresh message prepared and then not sent after all (the flusher
 * stops with it claimed ahead): its first state goes back into the
 * pre-state slot, so that it is fresh again, as if never claimed. */
void spool_unprepare(struct spool_msg *m);

/* Writes m->state atomically (into the room spool_prepare reserved, if
 * any) and fsyncs it; the state file's mtime becomes m->state.next_try
 * so a scan knows what is due without opening it. */
enum ms_status spool_save_state(struct spool_msg *m, struct ms_err *err);

/* Delivered to everyone: removes message and state, releases. When the
 * message cannot be removed, the state is saved (everyone sent) so that
 * the next pass removes it without sending. queue/ is not fsynced for
 * each message: every SPOOL_SYNC_EVERY removals (an error then is this
 * call's MS_TEMP) and by spool_sync(). */
enum ms_status spool_finish(struct spool_msg *m, struct ms_err *err);

/* The end of a flush pass: fsyncs queue/ if a message was removed since
 * its last fsync, and removes the process's reserved room (and any left
 * by a killed flusher). MS_TEMP (EIO...) means the spool cannot record
 * outcomes: the flusher stops (74). */
enum ms_status spool_pass_end(struct spool *s, struct ms_err *err);

/* Saves the final state in queue/ first (a failure after that retries
 * the bury, never the sending), then moves message and state to dead/.
 * m stays claimed (now in dead/): the caller releases it. */
enum ms_status spool_bury(struct spool_msg *m, struct ms_err *err);

/* Moves a dead message back to queue/, due now, dead recipients made
 * pending again (sent ones stay sent). For AREA_BAD (a set-aside message
 * whose envelope reads fine): back with a fresh state, every recipient
 * pending; never replaces a queue/ID that exists. */
enum ms_status spool_requeue(struct spool_msg *m, struct ms_err *err);

/* Removes message and state from wherever m is. */
enum ms_status spool_delete(struct spool_msg *m, struct ms_err *err);

/* Removes dead/ID.bad (and dead/ID.state.bad) without reading it: for a
 * set-aside file whose envelope does not read. MS_USAGE when absent. */
enum ms_status
spool_delete_bad(struct spool *s, const char *id, struct ms_err *err);

/* Renames a damaged file to SPOOL/dead/ID.bad (and its state to
 * dead/ID.state.bad) so nobody tries it again. spool_claim does this for
 * what it finds damaged, under the claim. */
void spool_quarantine(
    struct spool *s, enum spool_area area, const char *id, const char *why);

/* Removes, in queue/ and dead/, ID.state files whose message is in
 * neither, and ID.state.tmp files nobody is writing (a flusher killed at
 * the wrong moment), when no other flusher is delivering; from then on
 * this process holds run/flushing shared until spool_close (sweep.c). */
void spool_sweep(struct spool *s);

/* Tells a `flush --watch` that something became due (retry, requeue):
 * writes run/wake, which it watches. */
#define SPOOL_WAKE "wake"
void spool_wake(struct spool *s);

/* Closes a delivered message's descriptor (its name already removed) on
 * the closer thread, so that freeing the file's blocks does not hold up
 * the next delivery (closer.c); at once if that cannot be. */
void spool_close_later(int fd);

/* Waits until every descriptor handed to spool_close_later() is closed:
 * at the end of a pass, and before fork(). */
void spool_closer_drain(void);

/* Releases the claim and frees what claim/peek allocated. */
void spool_release(struct spool_msg *m);

#endif
