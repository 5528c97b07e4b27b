/*
 * relay.h - what every transport (maildir, smtp, ses over SMTP or the
 *           v2 API, sqs) offers the flusher: send one message to a list of
 *           recipients and say, per recipient, what happened.
 *
 * API:    relay_new(), relay_send(), relay_close(), relay_free(), and
 *         for transports relay_pace(), relay_slow(), relay_hold(),
 *         relay_held().
 * Owns:   relay/: every transport (maildir, smtp, ses over SMTP and the
 *         API), the message source they read (CRLF stream, header
 *         edits) and secret references.
 * Calls:  the AWS client (aws/), spool/ and lib/ only; never flush/ or
 *         admin/ (pacing and holds come in through struct relay_pacer).
 * Errors: relay_send() fills every recipient's result (MS_OK sent,
 *         MS_TEMP try later, MS_PERM never) and reply; it sets
 *         msg->health when the fault is the relay's rather than the
 *         message's, so the flusher fails over and stops hammering it.
 */
#ifndef MS_RELAY_H
#define MS_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "msgsource.h"
#include "ms.h"

#define RELAY_REPLY_MAX 512

struct relay_rcpt {
	const char *addr;	     /* in: resolved address */
	enum ms_status result;	     /* out: MS_OK, MS_TEMP, MS_PERM */
	char reply[RELAY_REPLY_MAX]; /* out: server reply or our reason */
};

enum relay_health {
	RELAY_FINE,   /* the relay worked; results are the message's */
	RELAY_FAILED, /* connect, TLS, auth, 421...: cool down a while,
			 try the next relay of the route now */
	RELAY_HOLD,   /* quota exhausted, account paused: hold for
			 hold_seconds, fail over, log once */
};

/* The reply recorded for recipients left unsent because the flusher is
 * stopping (a signal, or a spool that can no longer record outcomes):
 * one text, wherever the stop is noticed. */
#define RELAY_REPLY_STOPPING "not attempted: the flusher is stopping"

struct relay_msg {
	/* in */
	const char *qid;
	const char *sender; /* "" = null sender */
	struct relay_rcpt *rcpts;
	size_t nrcpt;
	struct msg_source *src;	 /* rewound by the relay as needed */
	const char *config_set;	 /* SES configuration set or NULL */
	const char *const *tags; /* SES "name=value" tags, NULL end */
	const char *route;	 /* route name (SQS MessageGroupId) */
	long long arrival;	 /* unix seconds the message arrived */
	int attempts;		 /* attempts counted so far */
	const char *user;	 /* who submitted it, or NULL */
	const char *const *opts; /* sendmail options "K=v" kept */
	size_t nopt;
	/* Called by a transport that splits the message into several
	 * transactions (SMTP batches, SES's 50 recipients) after each one
	 * but the last, with that batch's final results: the flusher
	 * records who accepted it before the next starts. Anything but
	 * MS_OK stops the message: the rest stay MS_TEMP, not attempted.
	 * NULL: nothing to call (relay_committed() is the one way in). */
	enum ms_status (*committed)(void *arg, const struct relay_rcpt *rcpts,
	    size_t n, struct ms_err *err);
	void *committed_arg;
	/* Called while the transport waits for its peer (connecting, or a
	 * command sent and its reply not read yet), at most once per wait
	 * and never once the body has started: the flusher does its file
	 * work for other messages there, so that it overlaps the round
	 * trip. It must be short and must not touch this message. False:
	 * the flusher must stop (its spool failed); the transaction is
	 * abandoned, before its body, so the server never has the
	 * message, and every recipient stays MS_TEMP. NULL: nothing. */
	bool (*idle)(void *arg);
	void *idle_arg;
	/* out */
	bool abandoned; /* idle said stop: nothing of it was sent */
	enum relay_health health;
	long hold_seconds;   /* with RELAY_FAILED/RELAY_HOLD */
	bool no_count;	     /* failure is not the message's fault
				(throttling): do not count it as
				an attempt, retry soon */
	char peer[256];	     /* "corp[10.0.0.5]:587" for the log */
	char remote_id[128]; /* id the server gave, e.g. SES's */
};

/* Pacing and holds belong to the delivery engine (flush/ratelimit.h). A
 * transport that must pace inside one message (SES takes at most 50
 * recipients a transaction, each charged to the relay's shared bucket)
 * or hold its relay for a reason only it can read (SES's quota and pause
 * replies) asks through these hooks, so relay/ never calls up into
 * flush/. relay_new() installs hooks that never wait and hold nothing;
 * the flusher replaces them with the spool-wide ones. */
struct relay_pacer {
	void *ctx;
	/* Blocks until n recipients may go at rate per second. */
	enum ms_status (*acquire)(void *ctx, const char *relay, double rate,
	    unsigned n, struct ms_err *err);
	/* A throttling reply: slow the relay down for a while. */
	void (*slow)(void *ctx, const char *relay, double rate);
	/* The sends paced last by this process are over (relay_send() says
	 * so when the transport returns): the bucket learns how late they
	 * were as early as it can (flush/ratelimit.h). May be NULL. */
	void (*sent)(void *ctx, const char *relay);
	/* Holds the relay until unix time until; *first is set when it was
	 * not held before (log the cause once). */
	enum ms_status (*hold_set)(void *ctx, const char *relay,
	    long long until, const char *reason, bool *first,
	    struct ms_err *err);
	/* *until = end of the relay's active hold, 0 when none. */
	enum ms_status (*hold_get)(void *ctx, const char *relay,
	    long long *until, char *reason, size_t len, struct ms_err *err);
};

struct relay;

struct relay_ops {
	const char *type;
	/* Sets up r->priv; must not touch the network. */
	enum ms_status (*init)(struct relay *r, struct ms_err *err);
	/* Delivers; fills results. Returns MS_OK when every recipient has a
	 * result (even if all failed); any other status means the relay
	 * itself failed before results existed (results are then set by
	 * relay_send to that status and err's text). */
	enum ms_status (*send)(
	    struct relay *r, struct relay_msg *msg, struct ms_err *err);
	/* Drops cached connections (end of a run, or after an error). */
	void (*close)(struct relay *r);
	void (*destroy)(struct relay *r);
	/* For `mailshim check`: connects and authenticates without sending.
	 * May be NULL. */
	enum ms_status (*probe)(struct relay *r, struct ms_err *err);
	/* What the flusher must know of the transport's waits. */
	bool paces_itself; /* send() charges the relay's bucket itself
			      (relay_pace, per transaction) and slows it
			      on throttling (relay_slow): not the flusher */
	bool idles_first;  /* send()'s first wait is for the peer, and calls
			      relay_msg.idle: unless the relay is paced,
			      the flusher may leave work for that call */
};

struct relay {
	const struct relay_conf *conf;
	const struct ms_conf *global;
	const struct relay_ops *ops;
	const struct relay_pacer *pacer; /* never NULL */
	/* The spool's run/ directory (opened and closed by the flusher)
	 * where a transport keeps what the flusher's processes share
	 * about the relay (the OAuth2 token: relay/oauth2_share.c), or
	 * -1 (relay_new's default: `mailshim check`, the test driver).
	 * A descriptor rather than a hook like relay_pacer: the files
	 * and their format belong to the transport, the engine only
	 * owns the directory; and rather than a field of ms_conf:
	 * it is the process's open spool, not configuration. */
	int runfd;
	void *priv;
	long long cool_until; /* skip until then (CLOCK_BOOTTIME s) */
};

/* Creates the runtime relay for conf (choosing ops by type). */
enum ms_status relay_new(struct relay **out, const struct relay_conf *conf,
    const struct ms_conf *global, struct ms_err *err);

/* Calls ops->send and guarantees every recipient has a result. */
enum ms_status
relay_send(struct relay *r, struct relay_msg *msg, struct ms_err *err);

void relay_close(struct relay *r);
void relay_free(struct relay *r);

/* For transports: one transaction of msg (recipients from..from+n-1)
 * is over and more follow; MS_OK to go on (see relay_msg.committed).
 * Inline: the SMTP session is also linked without relay.c. */
static inline enum ms_status
relay_committed(
    struct relay_msg *msg, size_t from, size_t n, struct ms_err *err)
{
	if (msg->committed == NULL || n == 0 || from + n > msg->nrcpt)
		return MS_OK;
	return msg->committed(msg->committed_arg, msg->rcpts + from, n, err);
}

/* For transports: the relay's pacer hooks (see struct relay_pacer). */
enum ms_status
relay_pace(struct relay *r, double rate, unsigned n, struct ms_err *err);
void relay_slow(struct relay *r, double rate);
enum ms_status relay_hold(struct relay *r, long long until, const char *reason,
    bool *first, struct ms_err *err);
enum ms_status relay_held(struct relay *r, long long *until, char *reason,
    size_t len, struct ms_err *err);

/* The ops of each transport (one file each). */
extern const struct relay_ops relay_maildir_ops;
extern const struct relay_ops relay_smtp_ops;
extern const struct relay_ops relay_ses_ops;
extern const struct relay_ops relay_sqs_ops;

#endif
