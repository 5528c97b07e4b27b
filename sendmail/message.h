/*
 * message.h - the message pipeline shared by normal mode and -bs: reads
 *             lines, collects the header section, fixes it up and
 *             streams the body to a sink.
 *
 * API:    msg_read().
 * Memory: the header section is held in memory (at most HDR_MAX_SECTION
 *         bytes); the body goes through the reader's fixed buffer.
 */
#ifndef SM_MESSAGE_H
#define SM_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ms.h"
#include "reader.h"

enum msg_end {
	MSG_EOF,  /* -i: read to end of input */
	MSG_DOT,  /* a line "." ends input; no unstuffing */
	MSG_SMTP, /* -bs DATA: "." ends, "..x" becomes ".x" */
};

struct msg_params {
	enum msg_end end;
	size_t limit;	       /* stored message bytes, 0 = no limit */
	const char *hostname;  /* for an added Message-ID */
	const char *from_addr; /* for an added From: */
	const char *from_name; /* NULL or "" = none */
	time_t now;	       /* for an added Date: */
	long idle; /* -bs on a socket: seconds of silence allowed, 0 = any */
	const char *users; /* -bs on a socket: AUTH PLAIN users file */
};

struct msg_sink {
	/* The header section is complete (Bcc still in it): take -t
	 * recipients, open the spool, write the envelope, and point *id at
	 * the queue id for Message-ID. */
	enum ms_status (*begin)(void *ctx, const char *hdr, size_t len,
	    const char **id, struct ms_err *err);
	/* Stored message bytes, LF line ends. */
	enum ms_status (*write)(
	    void *ctx, const void *data, size_t len, struct ms_err *err);
	void *ctx;
};

struct msg_result {
	size_t size;   /* bytes handed to the sink */
	bool oversize; /* failed because of p->limit */
	bool eof;      /* MSG_SMTP: input ended before the dot */
};

/* Reads one message from r into the sink. With MSG_SMTP a failure does
 * not stop reading: the rest of the DATA is read and dropped, so the
 * session stays in step, and the first error is returned. Otherwise the
 * first error is returned at once. MS_DATA for a NUL byte in the header
 * section, a header section over HDR_MAX_SECTION, or a message over
 * p->limit; MS_IOERR for a read error (or EOF inside SMTP DATA); the
 * sink's statuses are passed through. */
enum ms_status msg_read(struct rd *r, const struct msg_params *p,
    const struct msg_sink *s, struct msg_result *res, struct ms_err *err);

#endif
