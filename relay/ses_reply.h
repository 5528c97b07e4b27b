/*
 * ses_reply.h - what an Amazon SES SMTP reply means for the message, the
 *               recipient and the relay (domain.md section 4).
 *
 * API:    ses_reply_classify(), ses_reply_message_id(),
 *         ses_reply_unverified_hint().
 * Pure:   no I/O, no globals; table-driven and unit-tested
 *         (tests/unit/test_ses_reply.c).
 */
#ifndef MS_SES_REPLY_H
#define MS_SES_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "ms.h"
#include "relay.h"

/* Where in the SMTP dialogue the reply came. */
enum ses_stage {
	SES_STAGE_CONNECT, /* greeting, TLS, or no reply at all */
	SES_STAGE_EHLO,
	SES_STAGE_AUTH,
	SES_STAGE_MAIL,
	SES_STAGE_RCPT,
	SES_STAGE_DATA, /* DATA command or end of data */
};

/* What to do about a reply. */
enum ses_kind {
	SES_K_OK,	   /* accepted */
	SES_K_RECONNECT,   /* 421 / 451 4.4.2: reconnect, resend now */
	SES_K_THROTTLE,	   /* maximum sending rate exceeded */
	SES_K_QUOTA,	   /* daily quota exhausted */
	SES_K_AUTH,	   /* credentials wrong (530/535) */
	SES_K_TLS,	   /* 530 STARTTLS required: tls mode wrong */
	SES_K_ACCESS,	   /* 554 Access denied (IAM) */
	SES_K_PAUSED,	   /* account sending paused / suspended */
	SES_K_UNVERIFIED,  /* identity not verified in the region */
	SES_K_TOO_BIG,	   /* 552 */
	SES_K_BAD_ADDR,	   /* 553: that address (or the sender) */
	SES_K_TOO_MANY,	   /* recipient count exceeds 50 */
	SES_K_CONCURRENCY, /* 421 too many concurrent connections */
	SES_K_TEMP,	   /* other 4xx */
	SES_K_RELAY_ERR,   /* 5xx before MAIL, or no reply */
	SES_K_PERM,	   /* other 5xx for the message */
};

struct ses_class {
	enum ses_kind kind;
	enum ms_status result; /* MS_OK, MS_TEMP or MS_PERM */
	enum relay_health health;
	long hold_seconds; /* with RELAY_FAILED / RELAY_HOLD */
	bool no_count;	   /* not the message's fault */
	bool reconnect;	   /* reconnect and resend at once */
	bool slow;	   /* halve the relay's sending rate */
	bool alert;	   /* LOG_ERR (once per hold) */
	bool whole_msg;	   /* applies to every recipient */
	const char *hint;  /* for the operator; never NULL */
};

/* Hold times (seconds). */
#define SES_HOLD_QUOTA	     1800  /* daily quota: rolling 24 h, 30 min+ */
#define SES_HOLD_PAUSED	     21600 /* account paused: 6 h */
#define SES_HOLD_ACCESS	     1800  /* IAM denies SendRawEmail */
#define SES_HOLD_AUTH	     1800  /* wrong credentials */
#define SES_HOLD_RELAY	     60	   /* connection trouble */
#define SES_HOLD_CONCURRENCY 30

/* Classifies one reply. code is the 3-digit code (0: no reply, the
 * connection failed); text is the reply text, with or without the code
 * and enhanced status in front (NULL is ""). */
void ses_reply_classify(
    int code, const char *text, enum ses_stage stage, struct ses_class *out);

/* From "250 Ok 0100018d...-000000" (code and "Ok" optional) copies the
 * SES message id into buf; returns false (buf "") when there is none. */
bool ses_reply_message_id(const char *text, char *buf, size_t len);

/* For a "not verified" reply: compares the identities SES lists with the
 * sender and recipients and writes an operator sentence, e.g.
 *   sender a@x.com is not verified in SES region eu-west-1
 *   recipient b@y.com is not verified in SES region eu-west-1 (account
 *   in the sandbox?)
 * An identity matches an address exactly or by its domain. Returns buf. */
char *ses_reply_unverified_hint(const char *text, const char *sender,
    const char *const *rcpts, size_t nrcpt, const char *region, char *buf,
    size_t len);

#endif
