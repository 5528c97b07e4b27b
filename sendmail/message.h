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

/* Longest stored line, in octets before its LF: RFC 5321 4.5.3.1.6 allows
 * 1000 with the CRLF. Longer lines are broken (see msg_read()). */
#define MSG_LINE_MAX 998

enum msg_end {
	MSG_EOF,  /* -i: read to end of input */
	MSG_DOT,  /* a line "." ends input; no unstuffing */
	MSG_SMTP, /* -bs DATA: only CRLF "." CRLF ends, "..x" becomes ".x" */
};

struct msg_params {
	enum msg_end end;
	size_t limit;	       /* stored message bytes, 0 = no limit */
	const char *hostname;  /* for an added Message-ID */
	const char *from_addr; /* for an added From: */
	const char *from_name; /* NULL or "" = none */
	const char *domain;    /* qualifies bare header addresses; NULL = no */
	const char *submitter; /* "userid 1000, user alice": a Received:
				* field is put first; NULL = none */
	const char *protocol;  /* "ESMTP" / "SMTP" (-bs) or NULL */
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
 * first error is returned at once.
 *
 * What the sink receives is safe for any SMTP wire once each LF becomes
 * CRLF: lines end in LF only, there is no CR and no NUL, and no line is
 * longer than MSG_LINE_MAX octets:
 *   - a line ends at LF, at CR LF (any CRs before the LF belong to the
 *     line end) and, in the body, at a bare CR;
 *   - MSG_SMTP ends only at CR LF "." CR LF (or "." CR LF right after
 *     DATA): a "." line next to a bare LF or CR, or with a NUL, is
 *     content. Dots are unstuffed only on lines that follow a CR LF;
 *   - NUL bytes in the body are dropped;
 *   - header lines over MSG_LINE_MAX are folded before white space (RFC
 *     5322 2.2.3), or, without white space, broken with LF SPACE; body
 *     lines are broken with LF SPACE after MSG_LINE_MAX octets, as
 *     Postfix's smtp client does (smtp_line_length_limit = 998).
 * MS_DATA for a NUL byte or a bare CR in the header section, a header
 * section over HDR_MAX_SECTION, or a message over p->limit; MS_IOERR for
 * a read error (or EOF inside SMTP DATA); the sink's statuses are passed
 * through. */
enum ms_status msg_read(struct rd *r, const struct msg_params *p,
    const struct msg_sink *s, struct msg_result *res, struct ms_err *err);

#endif
