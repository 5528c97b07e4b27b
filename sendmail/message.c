/*
 * message.c - the message pipeline: line ends, dots, the leading "From "
 *             line, the header section and the streamed body; what it
 *             hands on is safe for any SMTP wire (see message.h).
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
#include "qualify.h"

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
	size_t col;	 /* body: octets on the current stored line */
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

/* Writes a header block (every line ending in LF) with each line over
 * MSG_LINE_MAX folded: before the last white space that fits (RFC 5322
 * 2.2.3: unfolding gives back the same field), or, when there is none,
 * broken with LF SPACE after MSG_LINE_MAX octets as Postfix does. */
static enum ms_status
emit_folded(struct pipe *pp, const char *h, size_t len, struct ms_err *err)
{
	enum ms_status st = MS_OK;
	size_t pos = 0;

	while (pos < len && st == MS_OK) {
		const char *nl = memchr(h + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - h) : len;
		size_t lead = 0; /* a space we add in front of this piece */

		while (st == MS_OK && lead + (end - pos) > MSG_LINE_MAX) {
			size_t limit = MSG_LINE_MAX - lead, fn = pos, k;

			while (fn < end && (h[fn] == ' ' || h[fn] == '\t'))
				fn++;
			for (k = pos + limit; k > fn; k--)
				if (h[k] == ' ' || h[k] == '\t')
					break;
			if (k > fn) { /* fold before the white space at k */
				st = emit(pp, h + pos, k - pos, err);
				if (st == MS_OK)
					st = emit(pp, "\n", 1, err);
				pos = k;
				lead = 0;
			} else {
				st = emit(pp, h + pos, limit, err);
				if (st == MS_OK)
					st = emit(pp, "\n ", 2, err);
				pos += limit;
				lead = 1;
			}
		}
		if (st == MS_OK)
			st = emit(pp, h + pos, end - pos, err);
		if (st == MS_OK && nl != NULL)
			st = emit(pp, "\n", 1, err);
		pos = nl != NULL ? end + 1 : len;
	}
	return st;
}

/* Body bytes: NUL dropped, a CR is a line end, lines over MSG_LINE_MAX
 * broken with LF SPACE (the space keeps a piece from looking like a "."
 * line or a header). Line ends arrive here as LF. */
static enum ms_status
emit_body(struct pipe *pp, const char *p, size_t len, struct ms_err *err)
{
	char out[4096];
	size_t n = 0;
	enum ms_status st;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (n + 2 > sizeof(out)) {
			if ((st = emit(pp, out, n, err)) != MS_OK)
				return st;
			n = 0;
		}
		if (c == '\0')
			continue;
		if (c == '\r' || c == '\n') {
			out[n++] = '\n';
			pp->col = 0;
			continue;
		}
		if (pp->col >= MSG_LINE_MAX) {
			out[n++] = '\n';
			out[n++] = ' ';
			pp->col = 1;
			if (n + 2 > sizeof(out)) {
				if ((st = emit(pp, out, n, err)) != MS_OK)
					return st;
				n = 0;
			}
		}
		out[n++] = c;
		pp->col++;
	}
	return emit(pp, out, n, err);
}

/* The header section hdr[0..len) is complete: let the sink begin, drop
 * Bcc, qualify bare addresses, add what is missing, write it out. */
static enum ms_status
finish_headers(struct pipe *pp, size_t len, struct ms_err *err)
{
	struct hdr_info info;
	struct hdr_fill fill;
	char extra[2048];
	size_t n = 0, qlen = 0;
	char *q = NULL;
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
	if (pp->p->domain != NULL && pp->p->domain[0] != '\0') {
		st =
		    qualify_header(pp->hdr, len, pp->p->domain, &q, &qlen, err);
		if (st != MS_OK)
			return st;
	}
	if (pp->p->submitter != NULL) {
		char rcv[1024];
		size_t rl = hdr_received(rcv, sizeof(rcv), fill.hostname,
		    pp->p->submitter, pp->p->protocol, fill.id, fill.now);

		if (rl == 0) {
			free(q);
			return ms_err_set(
			    err, MS_SOFTWARE, "cannot format Received:");
		}
		st = emit_folded(pp, rcv, rl, err);
	}
	if (st == MS_OK)
		st = q != NULL ? emit_folded(pp, q, qlen, err)
			       : emit_folded(pp, pp->hdr, len, err);
	if (st == MS_OK)
		st = emit_folded(pp, extra, n, err);
	free(q);
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
		if (memchr(line, '\0', len) != NULL)
			return ms_err_set(
			    err, MS_DATA, "NUL byte in the message header");
		if (memchr(line, '\r', len) != NULL)
			return ms_err_set(
			    err, MS_DATA, "bare CR in the message header");
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
		st = emit_body(pp, line, len, err);
	return st;
toobig:
	return ms_err_set(
	    err, MS_DATA, "message header exceeds %d bytes", HDR_MAX_SECTION);
}

/* One piece of a line (the CRs of its line end already dropped). */
static enum ms_status
take(struct pipe *pp, const char *p, size_t len, bool complete,
    struct ms_err *err)
{
	if (pp->phase == PH_BODY)
		return emit_body(pp, p, len, err);
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
	bool line_start = true, after_crlf = true;

	memset(res, 0, sizeof(*res));
	pp.hdr = malloc(HDR_MAX_SECTION + 1);
	if (pp.hdr == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	for (;;) {
		const char *line;
		size_t len;
		bool complete, ends, was_start = line_start,
				     was_crlf = after_crlf;
		size_t n;

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
		after_crlf = complete && len >= 2 && line[len - 2] == '\r';
		if (p->end == MSG_SMTP) {
			/* RFC 5321 4.1.1.4: only CRLF "." CRLF ends DATA. */
			if (was_start && was_crlf && len == 3 &&
			    memcmp(line, ".\r\n", 3) == 0)
				break;
			if (was_start && was_crlf && line[0] == '.') {
				line++;
				len--;
			}
		} else if (p->end == MSG_DOT && was_start &&
		    is_dot_line(line, len)) {
			break;
		}
		if (first != MS_OK)
			continue; /* SMTP: drain to the dot */
		/* A line end is LF with any CRs before it; so are CRs that
		 * end the last piece of the input. */
		n = complete ? len - 1 : len;
		if (complete || (r->eof && r->start == r->end)) {
			while (n > 0 && line[n - 1] == '\r')
				n--;
			ends = complete || n < len;
		} else {
			ends = false;
		}
		st = take(&pp, line, n, false, &tmp);
		if (st == MS_OK && ends)
			st = take(&pp, "\n", 1, true, &tmp);
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
