/*
 * envelope.h - the envelope at the head of every spool file, and the
 *              per-recipient delivery state the flusher keeps beside it.
 *
 * API:    env_*() for the envelope (envelope.c), state_*() for the state
 *         file's text and its recipients (state_text.c).
 * Format: documented in spool/README. Both parsers take untrusted bytes
 *         (a spool file may be damaged or foreign) and never crash.
 * Errors: MS_DATA with the reason for anything malformed, MS_TEMP when
 *         memory runs out.
 */
#ifndef MS_ENVELOPE_H
#define MS_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "ms.h"
#include "strset.h"

#define SPOOL_MAGIC	"MAILSHIM-2" /* addresses percent-encoded */
#define SPOOL_MAGIC_V1	"MAILSHIM-1" /* addresses raw; still read */
#define STATE_FORMAT	2	     /* "format 2": addresses encoded */
#define ENV_MAX_LINE	8192	     /* one line, newline included */
#define ENV_MAX_LINE_V1 2048	     /* the same in raw (version 1) files */
#define ENV_MAX_RCPTS	10000	     /* recipients in one message */
#define STATE_MAX_RCPTS (ENV_MAX_RCPTS * 4) /* in a state, after aliases */
#define ENV_MAX_SIZE	(4 * 1024 * 1024)   /* the whole envelope block */

struct envelope {
	char id[32];	   /* queue id, also the file name */
	long long arrival; /* unix seconds */
	long uid;	   /* who submitted it */
	char *user;	   /* their login name */
	char *sender;	   /* envelope sender; "" is the null sender */
	char **rcpts;	   /* as given: "root" or "a@example.com" */
	size_t nrcpt;
	char **opts; /* "N=never", "B=8BITMIME", "V=envid" ... */
	size_t nopt;
};

/* Appends a recipient or option (copies the string). */
enum ms_status
env_add_rcpt(struct envelope *env, const char *addr, struct ms_err *err);
enum ms_status
env_add_opt(struct envelope *env, const char *opt, struct ms_err *err);

/* Looks up option "K=..." and returns the text after '=' or NULL. */
const char *env_opt(const struct envelope *env, const char *key);

/* Serialises the envelope, ending with the blank line that separates it
 * from the message. Returns a malloc'd string (length in *len). */
enum ms_status env_format(
    const struct envelope *env, char **out, size_t *len, struct ms_err *err);

/* Parses an envelope from buf[0..len); on success *consumed is the
 * offset of the first message byte. */
enum ms_status env_parse(struct envelope *env, const char *buf, size_t len,
    size_t *consumed, struct ms_err *err);

void env_free(struct envelope *env);

/* Delivery state of one resolved recipient. */
enum rcpt_status { RCPT_PENDING, RCPT_SENT, RCPT_DEFERRED, RCPT_DEAD };

struct rcpt_state {
	char *addr; /* the address actually delivered to */
	enum rcpt_status status;
	long long when; /* last change */
	char *relay;	/* relay name or NULL */
	char *reply;	/* last reply or reason, or NULL */
};

struct msg_state {
	int attempts;
	long long last_attempt; /* unix seconds, 0 = never */
	long long next_try;	/* unix seconds, 0 = now */
	long long since; /* age counts from here (requeue), 0 = arrival */
	char *reason;	 /* last failure, for listings */
	struct rcpt_state *rcpts;
	size_t nrcpt, cap;
	struct strset index; /* addr -> its place in rcpts */
};

/* Finds addr (exact, through the index) or adds it as RCPT_PENDING. NULL
 * when memory runs out or the state already holds STATE_MAX_RCPTS. */
struct rcpt_state *state_rcpt(struct msg_state *st, const char *addr);

/* Why state_rcpt() just returned NULL, into err: MS_DATA at the limit,
 * MS_TEMP when memory ran out. */
enum ms_status state_rcpt_error(const struct msg_state *st, struct ms_err *err);

/* Sets one recipient's outcome, replacing its reply. */
enum ms_status
state_set(struct msg_state *st, const char *addr, enum rcpt_status status,
    const char *relay, const char *reply, long long when, struct ms_err *err);

/* Sets the outcome of a recipient already in the state. Cannot fail:
 * status and time are always set; relay or reply are dropped only when
 * memory runs out. */
void state_update(struct rcpt_state *r, enum rcpt_status status,
    const char *relay, const char *reply, long long when);

enum ms_status state_format(
    const struct msg_state *st, char **out, size_t *len, struct ms_err *err);
enum ms_status state_parse(
    struct msg_state *st, const char *buf, size_t len, struct ms_err *err);
void state_free(struct msg_state *st);

const char *rcpt_status_name(enum rcpt_status s);

#endif
