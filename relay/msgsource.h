/*
 * msgsource.h - the bytes a relay sends: the stored message with the
 *               flusher's header changes applied, streamed from the
 *               spool file, as LF (Maildir) or CRLF (SMTP, SES) text.
 *
 * API:    msg_source_open(), msg_source_read(), msg_source_rewind(),
 *         msg_source_size(), msg_source_close().
 * Memory: the header section is held (it is bounded by the front end);
 *         the body is read in fixed chunks, whatever its size, except
 *         that msg_source_size keeps a message of at most 256 KiB (as
 *         converted) in memory, so that it is read from the file once.
 */
#ifndef MS_MSGSOURCE_H
#define MS_MSGSOURCE_H

#include <stdbool.h>
#include <sys/types.h>

#include "ms.h"

struct msg_source {
	int fd;		   /* the spool file (not owned) */
	const char *image; /* or its bytes in memory (not owned), or NULL */
	off_t body_off;	   /* where the message starts in fd */
	off_t file_size;
	char *prefix; /* added header lines, LF-terminated */
	size_t prefix_len;
	char *headers; /* rewritten header section or NULL */
	size_t headers_len;
	off_t rest_off; /* where unchanged bytes resume in fd */
	bool crlf;	/* convert LF to CRLF while reading */
	/* read position */
	int part; /* 0 prefix, 1 headers, 2 rest, 3 eof */
	size_t part_pos;
	off_t file_pos;
	bool pending_lf; /* CR written, LF still owed */
	char last;	 /* last raw byte read (bare-LF test) */
	char *cache;	 /* the whole converted message, or NULL */
	size_t cache_len;
	size_t cache_pos;
};

struct header_edit {
	const char *prepend;	 /* lines to add on top, LF-terminated */
	const char *from;	 /* replace the From: header, or NULL */
	bool keep_reply_to;	 /* with from: the old From value becomes
				    Reply-To: unless the message has one */
	const char *masq_domain; /* local addresses in From: get this
				    domain (lib/masq.h), or NULL */
	const char *masq_host;	 /* this host's name, for masquerading */
	unsigned drop_ses;	 /* MSGSRC_DROP_*: the message's own SES
				    control headers to remove */
};

/* header_edit.drop_ses: which X-SES-* headers of the message are removed
 * (any case, folded lines included). */
#define MSGSRC_DROP_SES_CONFSET 1u /* X-SES-CONFIGURATION-SET */
#define MSGSRC_DROP_SES_TAGS	2u /* X-SES-MESSAGE-TAGS */
#define MSGSRC_DROP_SES_ALL	4u /* every X-SES-* header */

/* Prepares a source over fd (the whole message starts at body_off).
 * image, when not NULL, is the whole file (file_size bytes) already in
 * memory: read from there instead of fd, not copied, kept by the caller
 * until msg_source_close. edit may be NULL (message unchanged). */
enum ms_status msg_source_open(struct msg_source *src, int fd,
    const char *image, off_t body_off, off_t file_size,
    const struct header_edit *edit, bool crlf, struct ms_err *err);

/* Reads up to len bytes; 0 at the end, -1 with errno on error. */
ssize_t msg_source_read(struct msg_source *src, char *buf, size_t len);

void msg_source_rewind(struct msg_source *src);

/* Exact number of bytes msg_source_read will produce (one pass over the
 * file when crlf is set, which keeps a small message converted for the
 * reads that follow). -1 on read error. */
off_t msg_source_size(struct msg_source *src);

void msg_source_close(struct msg_source *src);

#endif
