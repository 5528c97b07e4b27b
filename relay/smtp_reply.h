/*
 * smtp_reply.h - SMTP replies: reading libcurl's protocol transcript back
 *                into per-command replies, and the generic rules that
 *                turn a reply into a delivery outcome.
 *
 * API:    smtp_transcript_init(), smtp_transcript_feed(),
 *         smtp_transcript_begin(), smtp_transcript_rcpt(),
 *         smtp_transcript_failure(), smtp_classify(), smtp_stage_name().
 * Trust:  the lines come from the network: every line is bounded, every
 *         reply code checked, nothing is trusted to be well formed.
 *         AUTH commands and the lines answering a 334 challenge carry
 *         credentials: they are never stored and never passed to the
 *         log hook (a placeholder is).
 * Errors: none; a malformed reply is recorded as code 0.
 */
#ifndef MS_SMTP_REPLY_H
#define MS_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "relay.h"

/* Where in the session a reply (or a failure) happened. */
enum smtp_stage {
	SMTP_STAGE_CONNECT, /* TCP, TLS handshake, proxy: no reply */
	SMTP_STAGE_BANNER,  /* 220 greeting */
	SMTP_STAGE_EHLO,    /* EHLO or HELO */
	SMTP_STAGE_STARTTLS,
	SMTP_STAGE_AUTH,
	SMTP_STAGE_MAIL,
	SMTP_STAGE_RCPT,
	SMTP_STAGE_DATA,  /* the DATA command (354 expected) */
	SMTP_STAGE_DOT,	  /* the reply after the body */
	SMTP_STAGE_OTHER, /* NOOP, RSET, QUIT, anything else */
};

#define SMTP_TEXT_MAX	      RELAY_REPLY_MAX
#define SMTP_LINE_MAX	      2048 /* longer reply lines are cut (and kept) */
#define SMTP_MAX_RCPT_REPLIES 1000 /* per transaction */

struct smtp_reply {
	enum smtp_stage stage;
	int code;		  /* 0: none or malformed */
	char text[SMTP_TEXT_MAX]; /* "250 2.0.0 Ok" (lines joined by ' ') */
};

/* What a reply means for the message and for the relay. */
struct smtp_class {
	enum ms_status result; /* MS_OK, MS_TEMP, MS_PERM */
	enum relay_health health;
	long hold_seconds;
	bool no_count;
};

/* A classifier: the generic one below, or a transport's own (SES). */
typedef void (*smtp_classify_fn)(int code, const char *text,
    enum smtp_stage stage, struct smtp_class *out, void *arg);

/* Called for each transcript line, already redacted; dir is '<' for the
 * server, '>' for us. */
typedef void (*smtp_log_fn)(char dir, const char *line, void *arg);

struct smtp_transcript {
	/* per connection */
	enum smtp_stage pending; /* stage of the command in flight */
	enum smtp_stage stage;	 /* of the last command other than
				    QUIT: where a failure happened */
	bool sent_any;		 /* a command went out on this
				    connection */
	bool auth_sent;		 /* AUTH went out on this connection */
	bool in_auth;		 /* between AUTH and its final reply */
	bool after_354;		 /* the body went out */
	bool awaiting;		 /* a command went out (or the connection
				    is being made) and its final reply
				    (or the greeting) has not come yet */
	unsigned long commands;	 /* commands sent (and connections
				    made) so far */
	/* per transaction (smtp_transcript_begin) */
	struct smtp_reply last; /* the latest complete reply */
	struct smtp_reply fail; /* the first failing reply (code 0:
				   none) */
	struct smtp_reply mail;
	struct smtp_reply data;
	struct smtp_reply dot;
	struct smtp_reply *rcpt; /* in RCPT order */
	size_t nrcpt;
	size_t rcpt_cap;
	/* line assembly, one per direction */
	char inbuf[SMTP_LINE_MAX];
	size_t inlen;
	bool in_cut; /* rest of an over-long line */
	char outbuf[SMTP_LINE_MAX];
	size_t outlen;
	bool out_cut;
	struct smtp_reply building; /* multi-line reply in progress */
	bool building_any;
	/* hook */
	smtp_log_fn log;
	void *log_arg;
};

/* Prepares t for a new connection (frees nothing: use _free). */
void smtp_transcript_init(struct smtp_transcript *t);

/* Forgets everything; also call when the connection is replaced. */
void smtp_transcript_reset_connection(struct smtp_transcript *t);

/* Starts a transaction: forgets the previous message's replies. */
void smtp_transcript_begin(struct smtp_transcript *t);

void smtp_transcript_free(struct smtp_transcript *t);

/* Feeds bytes libcurl showed us: in = server text (CURLINFO_HEADER_IN),
 * otherwise our commands (CURLINFO_HEADER_OUT). Chunks may hold part of
 * a line or several lines. */
void smtp_transcript_feed(
    struct smtp_transcript *t, bool in, const char *data, size_t len);

/* The reply to the i-th RCPT of this transaction, or NULL. */
const struct smtp_reply *
smtp_transcript_rcpt(const struct smtp_transcript *t, size_t i);

/* The generic rules (domain.md section 4, last paragraph):
 * 2xx ok; 421 anywhere temporary and the relay failed; any failure
 * before MAIL (banner, EHLO, STARTTLS, AUTH, connect) temporary and the
 * relay failed; 530 (authentication required) at any stage likewise;
 * otherwise 4xx temporary, 5xx permanent; anything else (no reply,
 * garbage) temporary and the relay failed. arg is unused. */
void smtp_classify(int code, const char *text, enum smtp_stage stage,
    struct smtp_class *out, void *arg);

/* "MAIL", "RCPT", ... for messages. */
const char *smtp_stage_name(enum smtp_stage stage);

#endif
