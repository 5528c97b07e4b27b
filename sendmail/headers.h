/*
 * headers.h - the header section of a submitted message: field lookup,
 *             -t recipients, Bcc removal, the fields added when missing.
 *
 * API:    hdr_is_field(), hdr_name_is(), hdr_inspect(), hdr_strip_bcc(),
 *         hdr_recipients(), hdr_date(), hdr_missing(), hdr_received().
 * Input:  a header section held in memory, every line ending in LF, no
 *         empty line (message.c collects it). Pure functions, no I/O.
 */
#ifndef SM_HEADERS_H
#define SM_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "ms.h"

#define HDR_MAX_SECTION (256 * 1024) /* header bytes held in memory */

/* True when line (len bytes, no LF) begins a field: "name:" where name
 * is printable ASCII without ':' (white space before ':' allowed). */
bool hdr_is_field(const char *line, size_t len);

/* True when the field on this line is called name (case-insensitive). */
bool hdr_name_is(const char *line, size_t len, const char *name);

struct hdr_info {
	bool date, msgid, from; /* present */
	bool resent_rcpt;	/* a Resent-To/-Cc/-Bcc exists */
};

void hdr_inspect(const char *hdr, size_t len, struct hdr_info *info);

/* Removes every Bcc: and Resent-Bcc: field, continuation lines included,
 * in place. Returns the new length. */
size_t hdr_strip_bcc(char *hdr, size_t len);

/* Calls cb for each address in To/Cc/Bcc, or when a Resent-To/-Cc/-Bcc
 * exists, only in those (-t). MS_DATA naming a bad address. */
enum ms_status hdr_recipients(
    const char *hdr, size_t len, addr_cb cb, void *arg, struct ms_err *err);

/* "Mon, 23 Nov 2026 08:17:38 +0000" for t in local time, English names
 * whatever the locale. Returns the length (0 if buf is too small). */
size_t hdr_date(time_t t, char *buf, size_t n);

/* The trace field of a local submission (RFC 5322 3.6.7, the shape of
 * RFC 5321 4.4 and of Postfix's "from userid N"):
 *
 *   Received: by HOST (mailshim, SUBMITTER)
 *   \t[with PROTO ]id ID; DATE
 *
 * SUBMITTER is e.g. "from userid 1000, user alice".
 *
 * ending in LF. Bytes of host and submitter that are not printable
 * ASCII are dropped, '(' ')' '\\' in the comment are quoted. Returns
 * the length, 0 when buf is too small. */
size_t hdr_received(char *buf, size_t n, const char *host,
    const char *submitter, const char *proto, const char *id, time_t now);

struct hdr_fill {
	const char *id; /* queue id, for Message-ID */
	const char *hostname;
	const char *from_addr; /* qualified address for an added From: */
	const char *from_name; /* full name or NULL/"" */
	time_t now;
};

/* Writes the missing Date:, Message-ID: and From: fields (in that order,
 * each ending in LF) into out. MS_SOFTWARE if out is too small. */
enum ms_status
hdr_missing(const struct hdr_info *info, const struct hdr_fill *f, char *out,
    size_t outlen, size_t *n, struct ms_err *err);

#endif
