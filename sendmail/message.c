/*
 * message.c - the message pipeline: line ends, dots, the leading "From "
 *             line, the header section and the streamed body.
 *
 * API:    msg_read().  Documented in message.h.
 * Trust:  input is untrusted; the header section is bounded by
 *         HDR_MAX_SECTION and the whole message by p->limit.
 * Errors: MS_DATA, MS_IOERR, MS_TEMP (memory) or the sink's status.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "headers.h"
#include "message.h"

enum phase { PH_FIRST, PH_HEADER, PH_BODY };

struct pipe {
	const struct msg_params *p;
	const struct msg_sink *s;
	struct msg_result *res;
	enum phase phase;
	bool seen_field;   /* a field line was kept (continuations ok) */
	bool from_skipped; /* the mbox "From " line was dropped */
	char *hdr;
	size_t hdrlen;
	size_t line_off; /* where the current header line starts */
};

/* Hands bytes to the sink, counting them against the limit. */
static enum ms_status
emit(struct pipe *pp, const void *data, size_t len, struct ms_err *err)
{
	if (len == 0)
		return MS_OK;
	if (pp->p->limit > 0 && pp->res->size + len > pp->p->limit) {
		pp->res->oversize = true;
		return ms_err_set(
		    err, MS_DATA, "message exceeds %zu bytes", pp->p->limit);
	}
	pp->res->size += len;
	return pp->s->write(pp->s->ctx, data, len, err);
}

/* The header section hdr[0..len) is complete: let the sink begin, drop
 * Bcc, add what is missing, write it out. */
static enum ms_status
finish_headers(struct pipe *pp, size_t len, struct ms_err *err)
{
	struct hdr_info info;
	struct hdr_fill fill;
	char extra[2048];
	size_t n = 0;
	const char *id = NULL;
	enum ms_status st;

	st = pp->s->begin(pp->s->ctx, pp->hdr, len, &id, err);
	if (st != MS_OK)
		return st;
	len = hdr_strip_bcc(pp->hdr, len);
	hdr_inspect(pp->hdr, len, &info);
	fill.id = id != NULL ? id : "unknown";
	fill.hostname = pp->p->hostname != NULL ? pp->p->hostname : "localhost";
	fill.from_addr = pp->p->from_addr;
	fill.from_name = pp->p->from_name;
	fill.now = pp->p->now != 0 ? pp->p->now : time(NULL);
	st = hdr_missing(&info, &fill, extra, sizeof(extra), &n, err);
	if (st != MS_OK)
		return st;
	st = emit(pp, pp->hdr, len, err);
	if (st == MS_OK)
		st = emit(pp, extra, n, err);
	pp->phase = PH_BODY;
	return st;
}

/* A header-section line is complete at hdr[line_off..hdrlen) (ending in
 * LF unless at_end). Decide what it is. */
static enum ms_status
header_line(struct pipe *pp, bool at_end, struct ms_err *err)
{
	char *line = pp->hdr + pp->line_off;
	size_t len = pp->hdrlen - pp->line_off;
	size_t start = pp->line_off;
	enum ms_status st;

	if (memchr(line, '\0', len) != NULL)
		return ms_err_set(
		    err, MS_DATA, "NUL byte in the message header");
	if (len == 1 && line[0] == '\n') { /* the empty line */
		st = finish_headers(pp, start, err);
		if (st == MS_OK)
			st = emit(pp, "\n", 1, err);
		return st;
	}
	if (start == 0 && !pp->from_skipped && pp->p->end != MSG_SMTP &&
	    len >= 5 && memcmp(line, "From ", 5) == 0) {
		pp->from_skipped = true;
		pp->hdrlen = start; /* the mbox separator: skip it */
		return MS_OK;
	}
	if (len > 0 &&
	    (hdr_is_field(line, len) ||
		(pp->seen_field && (line[0] == ' ' || line[0] == '\t')))) {
		pp->phase = PH_HEADER;
		pp->seen_field = true;
		if (at_end && line[len - 1] != '\n') {
			if (pp->hdrlen >= HDR_MAX_SECTION)
				goto toobig;
			pp->hdr[pp->hdrlen++] = '\n';
		}
		pp->line_off = pp->hdrlen;
		return MS_OK;
	}
	if (len == 0)
		return MS_OK;
	/* Not a header: this line starts the body; end the section with
	 * an empty line so the stored message is well formed. */
	st = finish_headers(pp, start, err);
	if (st == MS_OK)
		st = emit(pp, "\n", 1, err);
	if (st == MS_OK)
		st = emit(pp, line, len, err);
	return st;
toobig:
	return ms_err_set(
	    err, MS_DATA, "message header exceeds %d bytes", HDR_MAX_SECTION);
}

/* One normalised piece of a line (CR of CRLF already dropped). */
static enum ms_status
take(struct pipe *pp, const char *p, size_t len, bool complete,
    struct ms_err *err)
{
	if (pp->phase == PH_BODY)
		return emit(pp, p, len, err);
	if (pp->hdrlen + len > HDR_MAX_SECTION)
		return ms_err_set(err, MS_DATA,
		    "message header exceeds %d bytes", HDR_MAX_SECTION);
	memcpy(pp->hdr + pp->hdrlen, p, len);
	pp->hdrlen += len;
	if (!complete)
		return MS_OK;
	return header_line(pp, false, err);
}

static bool
is_dot_line(const char *p, size_t len)
{
	return (len == 1 && p[0] == '.') ||
	    (len == 2 && p[0] == '.' && p[1] == '\n') ||
	    (len == 3 && p[0] == '.' && p[1] == '\r' && p[2] == '\n');
}

enum ms_status
msg_read(struct rd *r, const struct msg_params *p, const struct msg_sink *s,
    struct msg_result *res, struct ms_err *err)
{
	struct pipe pp = { .p = p, .s = s, .res = res, .phase = PH_FIRST };
	enum ms_status st = MS_OK, first = MS_OK;
	struct ms_err tmp;
	bool line_start = true;

	memset(res, 0, sizeof(*res));
	pp.hdr = malloc(HDR_MAX_SECTION + 1);
	if (pp.hdr == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	for (;;) {
		const char *line;
		size_t len;
		bool complete, was_start = line_start;

		st = rd_line(r, &line, &len, &complete, &tmp);
		if (st != MS_OK)
			break;
		if (len == 0) {
			if (p->end == MSG_SMTP) {
				res->eof = true;
				st = ms_err_set(
				    &tmp, MS_IOERR, "input ended inside DATA");
			}
			break;
		}
		line_start = complete;
		if (was_start && p->end != MSG_EOF && is_dot_line(line, len))
			break;
		if (was_start && p->end == MSG_SMTP && line[0] == '.') {
			line++;
			len--;
		}
		if (first != MS_OK)
			continue; /* SMTP: drain to the dot */
		if (complete && len >= 2 && line[len - 2] == '\r') {
			st = take(&pp, line, len - 2, false, &tmp);
			if (st == MS_OK)
				st = take(&pp, "\n", 1, true, &tmp);
		} else {
			st = take(&pp, line, len, complete, &tmp);
		}
		if (st != MS_OK) {
			first = st;
			*err = tmp;
			if (p->end != MSG_SMTP)
				goto done;
		}
	}
	if (first != MS_OK) {
		if (st != MS_OK && res->eof)
			first = st, *err = tmp;
		goto done;
	}
	if (st != MS_OK) {
		first = st;
		*err = tmp;
		goto done;
	}
	/* End of input or the dot: finish a header section still open. */
	if (pp.phase != PH_BODY) {
		if (pp.hdrlen > pp.line_off)
			first = header_line(&pp, true, err);
		if (first == MS_OK && pp.phase != PH_BODY)
			first = finish_headers(&pp, pp.hdrlen, err);
	}
done:
	free(pp.hdr);
	return first;
}
