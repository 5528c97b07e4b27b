/*
 * msgsource.c - streams a stored message to a transport, applying the
 *               flusher's header edits and, for the wire, LF -> CRLF.
 *
 * API:    see msgsource.h.
 * Memory: at most the header section (bounded by the front end, and by
 *         MSGSRC_MAX_HEADERS here) plus the caller's buffer.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "masq.h"
#include "msgsource.h"

#define MSGSRC_MAX_HEADERS (1024 * 1024)
/* A message whose wire form fits in this is read once and kept. */
#define MSGSRC_CACHE_MAX (256 * 1024)

/* pread() of the stored file, or a copy from its image in memory. */
static ssize_t
src_pread(const struct msg_source *src, char *buf, size_t len, off_t off)
{
	ssize_t n;

	if (src->image != NULL) {
		if (off >= src->file_size)
			return 0;
		if ((off_t)len > src->file_size - off)
			len = (size_t)(src->file_size - off);
		memcpy(buf, src->image + off, len);
		return (ssize_t)len;
	}
	do
		n = pread(src->fd, buf, len, off);
	while (n < 0 && errno == EINTR);
	return n;
}

static enum ms_status
read_headers(const struct msg_source *src, off_t off, off_t end, char **out,
    size_t *len, struct ms_err *err)
{
	size_t cap = 8192, got = 0;
	char *buf = malloc(cap);

	while (buf != NULL) {
		ssize_t n;
		char *blank;

		if (got + 1 >= cap) {
			char *nb;

			if (cap >= MSGSRC_MAX_HEADERS ||
			    (nb = realloc(buf, cap * 2)) == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		n = off + (off_t)got < end
		    ? src_pread(src, buf + got, cap - got - 1, off + (off_t)got)
		    : 0;
		if (n < 0) {
			free(buf);
			return ms_err_set(
			    err, MS_TEMP, "read error: %s", strerror(errno));
		}
		got += (size_t)n;
		buf[got] = '\0';
		/* The header section ends at the first empty line (or EOF). */
		if (got > 0 && buf[0] == '\n')
			blank = buf;
		else
			blank = strstr(buf, "\n\n");
		if (blank != NULL || n == 0) {
			*len = blank != NULL ? (size_t)(blank - buf) +
				(buf[0] == '\n' && blank == buf ? 0 : 1)
					     : got;
			*out = buf;
			return MS_OK;
		}
	}
	free(buf);
	return ms_err_set(err, MS_DATA, "header section too large");
}

static bool
header_is(const char *line, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

/* Does the header at line have a name starting with prefix (any case),
 * then optional blanks and ':' when whole is set? */
static bool
header_name_is(const char *line, size_t len, const char *name, bool whole)
{
	size_t n = strlen(name);

	if (len < n || strncasecmp(line, name, n) != 0)
		return false;
	if (!whole) {
		while (n < len && line[n] != ':' && line[n] != ' ' &&
		    line[n] != '\t' && line[n] != '\n')
			n++;
	}
	while (n < len && (line[n] == ' ' || line[n] == '\t'))
		n++;
	return n < len && line[n] == ':';
}

/* Is the header hdr[0..len) one of the SES control headers to drop? */
static bool
ses_dropped(const char *hdr, size_t len, unsigned drop)
{
	if (drop == 0 || !header_name_is(hdr, len, "X-SES-", false))
		return false;
	if (drop & MSGSRC_DROP_SES_ALL)
		return true;
	if ((drop & MSGSRC_DROP_SES_CONFSET) &&
	    header_name_is(hdr, len, "X-SES-CONFIGURATION-SET", true))
		return true;
	return (drop & MSGSRC_DROP_SES_TAGS) &&
	    header_name_is(hdr, len, "X-SES-MESSAGE-TAGS", true);
}

/* Appends the From: header line[0..n) with local addresses masqueraded;
 * grows out as needed. Returns the new length or (size_t)-1. */
static size_t
append_masq(char *out, size_t olen, size_t *cap, const char *line, size_t n,
    const struct header_edit *edit)
{
	char *value = strndup(line + 5, n - 5), *masq = NULL;
	size_t mlen;

	if (value == NULL ||
	    masq_header_from(
		value, edit->masq_domain, edit->masq_host, &masq) != MS_OK ||
	    masq == NULL) {
		free(value);
		return (size_t)-1;
	}
	free(value);
	mlen = strlen(masq);
	if (olen + 5 + mlen >= *cap) {
		free(masq); /* cannot grow in place: keep the original */
		if (olen + n < *cap) {
			memcpy(out + olen, line, n);
			return olen + n;
		}
		return (size_t)-1;
	}
	memcpy(out + olen, "From:", 5);
	memcpy(out + olen + 5, masq, mlen);
	free(masq);
	return olen + 5 + mlen;
}

/* Rewrites the header section hdr[0..len): replaces From:, adds Reply-To:
 * with the old From value when asked and none exists. */
static enum ms_status
edit_headers(struct msg_source *src, const char *hdr, size_t len,
    const struct header_edit *edit, struct ms_err *err)
{
	size_t cap = len * 2 + 4096 + (edit->from ? strlen(edit->from) : 0);
	char *out = malloc(cap), *old_from = NULL;
	size_t olen = 0, pos = 0;
	bool has_reply_to = false;

	if (out == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	while (pos < len) {
		size_t end = pos;

		/* One header with its continuation lines. */
		do {
			const char *nl = memchr(hdr + end, '\n', len - end);

			end = nl != NULL ? (size_t)(nl - hdr) + 1 : len;
		} while (end < len && (hdr[end] == ' ' || hdr[end] == '\t'));
		if (header_is(hdr + pos, "Reply-To"))
			has_reply_to = true;
		if (ses_dropped(hdr + pos, end - pos, edit->drop_ses)) {
			/* the message's own SES control header: gone */
		} else if (edit->from != NULL && header_is(hdr + pos, "From")) {
			free(old_from);
			old_from = strndup(hdr + pos + 5, end - pos - 5);
			/* The original moves to Reply-To: qualified, so that
			 * replies to cron's "root" reach someone. */
			if (old_from != NULL && edit->masq_domain != NULL) {
				char *m = NULL;

				if (masq_header_from(old_from,
					edit->masq_domain, edit->masq_host,
					&m) == MS_OK &&
				    m != NULL) {
					free(old_from);
					old_from = m;
				}
			}
		} else if (edit->masq_domain != NULL &&
		    header_is(hdr + pos, "From")) {
			olen = append_masq(
			    out, olen, &cap, hdr + pos, end - pos, edit);
			if (olen == (size_t)-1) {
				free(old_from);
				return ms_err_set(
				    err, MS_TEMP, "out of memory");
			}
		} else if (olen + (end - pos) < cap) {
			memcpy(out + olen, hdr + pos, end - pos);
			olen += end - pos;
		}
		pos = end;
	}
	if (edit->from != NULL)
		olen += (size_t)snprintf(
		    out + olen, cap - olen, "From: %s\n", edit->from);
	if (edit->keep_reply_to && !has_reply_to && old_from != NULL &&
	    olen + strlen(old_from) + 16 < cap)
		olen += (size_t)snprintf(out + olen, cap - olen,
		    "Reply-To:%s%s", old_from,
		    old_from[strlen(old_from) - 1] == '\n' ? "" : "\n");
	free(old_from);
	src->headers = out;
	src->headers_len = olen;
	return MS_OK;
}

enum ms_status
msg_source_open(struct msg_source *src, int fd, const char *image,
    off_t body_off, off_t file_size, const struct header_edit *edit, bool crlf,
    struct ms_err *err)
{
	memset(src, 0, sizeof(*src));
	src->fd = fd;
	src->image = image;
	src->body_off = body_off;
	src->file_size = file_size;
	src->rest_off = body_off;
	src->crlf = crlf;
	if (edit != NULL && edit->prepend != NULL && edit->prepend[0] != '\0') {
		if ((src->prefix = strdup(edit->prepend)) == NULL)
			return ms_err_set(err, MS_TEMP, "out of memory");
		src->prefix_len = strlen(src->prefix);
	}
	if (edit != NULL &&
	    (edit->from != NULL || edit->masq_domain != NULL ||
		edit->drop_ses != 0)) {
		char *hdr = NULL;
		size_t len = 0;
		enum ms_status st;

		st = read_headers(src, body_off, file_size, &hdr, &len, err);
		if (st == MS_OK)
			st = edit_headers(src, hdr, len, edit, err);
		free(hdr);
		if (st != MS_OK) {
			msg_source_close(src);
			return st;
		}
		src->rest_off = body_off + (off_t)len;
	}
	msg_source_rewind(src);
	return MS_OK;
}

void
msg_source_rewind(struct msg_source *src)
{
	src->part = 0;
	src->part_pos = 0;
	src->file_pos = src->rest_off;
	src->pending_lf = false;
	src->last = '\0';
	src->cache_pos = 0;
}

/* Bytes of the message as stored (no line-end conversion). */
static ssize_t
read_raw(struct msg_source *src, char *buf, size_t len)
{
	while (src->part < 3) {
		const char *mem = src->part == 0 ? src->prefix : src->headers;
		size_t mlen =
		    src->part == 0 ? src->prefix_len : src->headers_len;
		ssize_t n;

		if (src->part < 2) {
			size_t left = mlen - src->part_pos;

			if (left == 0) {
				src->part++;
				src->part_pos = 0;
				continue;
			}
			n = (ssize_t)(left < len ? left : len);
			memcpy(buf, mem + src->part_pos, (size_t)n);
			src->part_pos += (size_t)n;
			return n;
		}
		if (src->file_pos >= src->file_size) {
			src->part = 3;
			break;
		}
		if ((off_t)len > src->file_size - src->file_pos)
			len = (size_t)(src->file_size - src->file_pos);
		n = src_pread(src, buf, len, src->file_pos);
		if (n < 0)
			return -1;
		if (n == 0) {
			src->part = 3; /* the file shrank: stop here */
			break;
		}
		src->file_pos += n;
		return n;
	}
	return 0;
}

/* Converts raw[0..n) to CRLF line ends into out (room for 2n bytes):
 * runs between LFs are copied whole, an LF gets a CR unless the byte
 * before it (in this chunk, or the last one returned before it) is
 * one. Returns the bytes written; *last is the last raw byte. */
static size_t
to_crlf(const char *raw, size_t n, char *out, char *last)
{
	const char *p = raw, *end = raw + n;
	char prev = *last;
	size_t o = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t run = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		memcpy(out + o, p, run);
		o += run;
		if (run > 0)
			prev = p[run - 1];
		if (nl == NULL)
			break;
		if (prev != '\r')
			out[o++] = '\r';
		out[o++] = '\n';
		prev = '\n';
		p = nl + 1;
	}
	*last = prev;
	return o;
}

/* The converted message kept whole by msg_source_size, if it is small. */
static ssize_t
read_cached(struct msg_source *src, char *buf, size_t len)
{
	size_t left = src->cache_len - src->cache_pos;

	if (len > left)
		len = left;
	memcpy(buf, src->cache + src->cache_pos, len);
	src->cache_pos += len;
	return (ssize_t)len;
}

ssize_t
msg_source_read(struct msg_source *src, char *buf, size_t len)
{
	char raw[8192];
	size_t out = 0;

	if (src->cache != NULL)
		return read_cached(src, buf, len);
	if (!src->crlf)
		return read_raw(src, buf, len);
	while (out < len) {
		size_t want;
		ssize_t n;

		if (src->pending_lf) {
			buf[out++] = '\n';
			src->pending_lf = false;
			continue;
		}
		/* Each raw byte becomes at most two: read no more than fits. */
		want = (len - out) / 2;
		if (want == 0) {
			/* One byte of room: an LF that needs its CR owes
			 * the LF to the next call. */
			if ((n = read_raw(src, raw, 1)) < 0)
				return -1;
			if (n == 0)
				break;
			if (raw[0] == '\n' && src->last != '\r') {
				buf[out++] = '\r';
				src->pending_lf = true;
			} else {
				buf[out++] = raw[0];
			}
			src->last = raw[0];
			continue;
		}
		if (want > sizeof(raw))
			want = sizeof(raw);
		if ((n = read_raw(src, raw, want)) < 0)
			return -1;
		if (n == 0)
			break;
		out += to_crlf(raw, (size_t)n, buf + out, &src->last);
	}
	return (ssize_t)out;
}

/* Bytes the CRLF conversion adds, counted without converting. */
static off_t
count_crlf(struct msg_source *src)
{
	char raw[16384];
	off_t total = 0;
	ssize_t n;

	while ((n = read_raw(src, raw, sizeof(raw))) > 0) {
		const char *p = raw, *end = raw + n, *nl;

		total += n;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			char prev = nl > raw ? nl[-1] : src->last;

			if (prev != '\r')
				total++;
			p = nl + 1;
		}
		src->last = raw[n - 1];
	}
	return n < 0 ? -1 : total;
}

off_t
msg_source_size(struct msg_source *src)
{
	off_t raw_size = (off_t)(src->prefix_len + src->headers_len) +
	    (src->file_size - src->rest_off);
	off_t total;

	if (src->cache != NULL)
		return (off_t)src->cache_len;
	if (!src->crlf)
		return raw_size;
	msg_source_rewind(src);
	/* A message that is small once converted is read once, here, and
	 * kept for the reads that follow (and every rewind). */
	if (raw_size <= MSGSRC_CACHE_MAX / 2) {
		size_t cap = (size_t)raw_size * 2 + 1, got = 0;
		char *cache = malloc(cap);
		ssize_t n = 0;

		while (cache != NULL && got < cap &&
		    (n = msg_source_read(src, cache + got, cap - got)) > 0)
			got += (size_t)n;
		if (cache != NULL && n == 0) {
			src->cache = cache;
			src->cache_len = got;
			msg_source_rewind(src);
			return (off_t)got;
		}
		free(cache);
		msg_source_rewind(src);
		if (n < 0)
			return -1;
	}
	total = count_crlf(src);
	msg_source_rewind(src);
	return total;
}

void
msg_source_close(struct msg_source *src)
{
	free(src->prefix);
	free(src->headers);
	free(src->cache);
	src->prefix = src->headers = src->cache = NULL;
}
