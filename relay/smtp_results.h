/*
 * smtp_results.h - from one SMTP transaction's transcript to a result for
 *                  each recipient (the rules that decide "sent", "try
 *                  later" and "never"), kept apart from the libcurl
 *                  session so they can be read and tested alone.
 *
 * API:    smtp_results(), smtp_reply_failing(), smtp_rcpt_set().
 */
#ifndef MS_SMTP_RESULTS_H
#define MS_SMTP_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

#include "relay.h"
#include "smtp_reply.h"

struct smtp_outcome {
	const struct smtp_transcript *tr; /* the replies, per stage */
	bool auth_missing;	 /* MAIL went out without the AUTH we wanted */
	bool read_failed;	 /* the queued message could not be read */
	int read_errno;		 /* with read_failed */
	char why[SMTP_TEXT_MAX]; /* the transport's failure, "" if none */
	smtp_classify_fn classify; /* NULL: smtp_classify() */
	void *classify_arg;
};

/* Gives recipients [first, first + n) of msg a result and a reply and
 * raises msg's health, hold and no_count as the replies say. A recipient
 * whose RCPT reply was not recorded although DATA was accepted stays
 * MS_TEMP: a duplicate is better than a loss. msg->remote_id gets the id
 * from a 2xx final reply. */
void smtp_results(const struct smtp_outcome *o, struct relay_msg *msg,
    size_t first, size_t n);

/* True for a recorded reply that is not a success (code set, not 2xx/3xx). */
bool smtp_reply_failing(const struct smtp_reply *r);

/* Sets one recipient's result and reply (text may be another reply). */
void
smtp_rcpt_set(struct relay_rcpt *rc, enum ms_status result, const char *text);

#endif
