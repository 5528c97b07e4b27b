/*
 * test_sm_headers.c - the message pipeline (message.c + headers.c):
 *                     input bytes -> stored bytes and -t recipients.
 *
 * The sink stands in for the spool: begin() collects -t recipients the
 * way submit.c does and hands out the id "QID"; write() keeps the bytes.
 * Time is fixed and TZ set, so added Date: fields are exact.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "headers.h"
#include "message.h"
#include "qualify.h"
#include "reader.h"

#define NOW 1795426481 /* Mon, 23 Nov 2026 09:34:41 UTC */
#define ADDED                                                                  \
	"Date: Mon, 23 Nov 2026 09:34:41 +0000\n"                              \
	"Message-ID: <QID@host.example.com>\n"                                 \
	"From: Cron Daemon <root@example.com>\n"

struct sink {
	bool extract;
	char rcpts[1024];
	size_t nr;
	char *out;
	size_t len, cap;
};

struct src {
	const char *p;
	size_t len, pos, chunk;
};

static ssize_t
mem_fill(void *ctx, char *buf, size_t len)
{
	struct src *s = ctx;
	size_t n = s->len - s->pos;

	if (n > len)
		n = len;
	if (n > s->chunk)
		n = s->chunk;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static enum ms_status
rcpt_cb(const char *addr, void *arg, struct ms_err *err)
{
	struct sink *k = arg;
	int r;

	(void)err;
	r = snprintf(k->rcpts + k->nr, sizeof(k->rcpts) - k->nr, "%s%s",
	    k->nr > 0 ? "|" : "", addr);
	if (r > 0)
		k->nr += (size_t)r;
	return MS_OK;
}

static enum ms_status
sink_begin(
    void *ctx, const char *hdr, size_t len, const char **id, struct ms_err *err)
{
	struct sink *k = ctx;

	*id = "QID";
	if (k->extract)
		return hdr_recipients(hdr, len, rcpt_cb, k, err);
	return MS_OK;
}

static enum ms_status
sink_write(void *ctx, const void *data, size_t len, struct ms_err *err)
{
	struct sink *k = ctx;

	if (k->len + len > k->cap) {
		size_t cap = (k->len + len) * 2;
		char *p = realloc(k->out, cap);

		if (p == NULL)
			return ms_err_set(err, MS_TEMP, "out of memory");
		k->out = p;
		k->cap = cap;
	}
	memcpy(k->out + k->len, data, len);
	k->len += len;
	return MS_OK;
}

struct tcase {
	const char *name;
	const char *in;
	size_t inlen; /* 0: strlen(in) */
	enum msg_end end;
	bool extract;
	size_t limit;
	enum ms_status want_status;
	const char *want;	/* stored bytes (MS_OK only) */
	const char *want_rcpts; /* '|'-joined, -t only */
};

static const struct tcase cases[] = {
    {"complete message unchanged",
	"From: a@x.org\nTo: b@y.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
	"Message-ID: <1@x>\nSubject: hi\n\nbody\n",
	0, MSG_EOF, false, 0, MS_OK,
	"From: a@x.org\nTo: b@y.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
	"Message-ID: <1@x>\nSubject: hi\n\nbody\n",
	NULL},
    {"missing Date/Message-ID/From added at the end",
	"To: root\nSubject: Cron <root@h> ls\n\noutput\n", 0, MSG_EOF, false, 0,
	MS_OK, "To: root\nSubject: Cron <root@h> ls\n" ADDED "\noutput\n",
	NULL},
    {"names are case-insensitive",
	"FROM: a@x.org\ndate: x\nMESSAGE-id: <1@x>\n\nb\n", 0, MSG_EOF, false,
	0, MS_OK, "FROM: a@x.org\ndate: x\nMESSAGE-id: <1@x>\n\nb\n", NULL},
    {"Bcc removed with continuation, -t union",
	"To: a@x.org,\n B <b@x.org>\nBcc: hidden@x.org,\n\tsecret@x.org\n"
	"Cc: c@x.org\nbcc: more@x.org\nSubject: s\n\nbody\n",
	0, MSG_EOF, true, 0, MS_OK,
	"To: a@x.org,\n B <b@x.org>\nCc: c@x.org\nSubject: s\n" ADDED
	"\nbody\n",
	"a@x.org|b@x.org|hidden@x.org|secret@x.org|c@x.org|more@x.org"},
    {"Bcc removed without -t", "To: a@x.org\nBcc: hidden@x.org\n\nbody\n", 0,
	MSG_EOF, false, 0, MS_OK, "To: a@x.org\n" ADDED "\nbody\n", NULL},
    {"Resent-* rule",
	"To: old@x.org\nCc: old2@x.org\nResent-To: new@x.org\n"
	"Resent-Bcc: newhidden@x.org\nResent-Cc: new2@x.org\n\nb\n",
	0, MSG_EOF, true, 0, MS_OK,
	"To: old@x.org\nCc: old2@x.org\nResent-To: new@x.org\n"
	"Resent-Cc: new2@x.org\n" ADDED "\nb\n",
	"new@x.org|newhidden@x.org|new2@x.org"},
    {"-t group and display names",
	"To: undisclosed-recipients:;\nCc: \"Doe, J\" <j@x.org>\n\nb\n", 0,
	MSG_EOF, true, 0, MS_OK,
	"To: undisclosed-recipients:;\nCc: \"Doe, J\" <j@x.org>\n" ADDED
	"\nb\n",
	"j@x.org"},
    {"-t bad address", "To: John Smith\n\nb\n", 0, MSG_EOF, true, 0, MS_DATA,
	NULL, NULL},
    {"CRLF to LF, bare CR is a body line end",
	"To: a@x.org\r\nSubject: s\r\n\r\nline1\r\nwith\rcr\r\nlast", 0,
	MSG_EOF, false, 0, MS_OK,
	"To: a@x.org\nSubject: s\n" ADDED "\nline1\nwith\ncr\nlast", NULL},
    {"CRs before LF are one line end",
	"To: a@x.org\r\r\nSubject: s\r\r\r\n\r\nx\r\r\ny\n", 0, MSG_EOF,
	false, 0, MS_OK, "To: a@x.org\nSubject: s\n" ADDED "\nx\ny\n", NULL},
    {"CR at the very end is a line end", "To: a@x.org\n\nlast\r", 0,
	MSG_EOF, false, 0, MS_OK, "To: a@x.org\n" ADDED "\nlast\n", NULL},
    {"CR ending a header at EOF", "To: a@x.org\r", 0, MSG_EOF, false, 0,
	MS_OK, "To: a@x.org\n" ADDED, NULL},
    {"bare CR in a header refused", "To: a@x.org\nSubject: a\rBcc: x@y\n\nb\n",
	0, MSG_EOF, true, 0, MS_DATA, NULL, NULL},
    {"bare CR in a continuation refused",
	"To: a@x.org\nSubject: a\n b\rc\n\nb\n", 0, MSG_EOF, false, 0,
	MS_DATA, NULL, NULL},
    {"progress meter (cron)", "To: a@x.org\n\n10%\r50%\r100%\ndone\n", 0,
	MSG_EOF, false, 0, MS_OK, "To: a@x.org\n" ADDED "\n10%\n50%\n100%\ndone\n",
	NULL},
    {"mixed line ends (PHP 8)", "To: a@x.org\r\nSubject: s\r\n\nbody\nmore\r\n",
	0, MSG_EOF, false, 0, MS_OK,
	"To: a@x.org\nSubject: s\n" ADDED "\nbody\nmore\n", NULL},
    {"leading From_ line skipped",
	"From alice Mon Nov 23 08:00:00 2026\nTo: a@x.org\n\nFrom here\n", 0,
	MSG_EOF, false, 0, MS_OK, "To: a@x.org\n" ADDED "\nFrom here\n", NULL},
    {"only the first From_ line is skipped",
	"From a Mon Nov 23 08:00:00 2026\nFrom b\nTo: x@y.org\n", 0, MSG_EOF,
	false, 0, MS_OK, ADDED "\nFrom b\nTo: x@y.org\n", NULL},
    {"From_ line not skipped in SMTP mode", "From a\r\nTo: x@y.org\r\n.\r\n", 0,
	MSG_SMTP, false, 0, MS_OK, ADDED "\nFrom a\nTo: x@y.org\n", NULL},
    {"dot ends input without -i", "To: a@x.org\n\nline\n.\nignored\n", 0,
	MSG_DOT, false, 0, MS_OK, "To: a@x.org\n" ADDED "\nline\n", NULL},
    {"dot CRLF ends input without -i",
	"To: a@x.org\r\n\r\nline\r\n.\r\nignored\r\n", 0, MSG_DOT, false, 0,
	MS_OK, "To: a@x.org\n" ADDED "\nline\n", NULL},
    {"dot kept with -i, no unstuffing", "To: a@x.org\n\nline\n.\n..two\n", 0,
	MSG_EOF, false, 0, MS_OK, "To: a@x.org\n" ADDED "\nline\n.\n..two\n",
	NULL},
    {"no unstuffing without -i either", "To: a@x.org\n\n..two\n.x\n", 0,
	MSG_DOT, false, 0, MS_OK, "To: a@x.org\n" ADDED "\n..two\n.x\n", NULL},
    {"dot in header section ends it", "To: a@x.org\n.\nrest\n", 0, MSG_DOT,
	false, 0, MS_OK, "To: a@x.org\n" ADDED, NULL},
    {"SMTP unstuffing", "To: a@x.org\r\n\r\n..two\r\n.x\r\n.\r\n", 0, MSG_SMTP,
	false, 0, MS_OK, "To: a@x.org\n" ADDED "\n.two\nx\n", NULL},
    {"SMTP EOF before dot", "To: a@x.org\r\n\r\nbody\r\n", 0, MSG_SMTP, false,
	0, MS_IOERR, NULL, NULL},
    {"header-only message", "To: a@x.org\nSubject: s\n", 0, MSG_EOF, false, 0,
	MS_OK, "To: a@x.org\nSubject: s\n" ADDED, NULL},
    {"header-only, no final LF", "To: a@x.org\nSubject: s", 0, MSG_EOF, false,
	0, MS_OK, "To: a@x.org\nSubject: s\n" ADDED, NULL},
    {"empty message", "", 0, MSG_EOF, false, 0, MS_OK, ADDED, NULL},
    {"first line not a header: all body", "hello world\nTo: x@y.org\n", 0,
	MSG_EOF, false, 0, MS_OK, ADDED "\nhello world\nTo: x@y.org\n", NULL},
    {"non-header line ends the section", "To: a@x.org\nthis is body\nmore\n", 0,
	MSG_EOF, false, 0, MS_OK,
	"To: a@x.org\n" ADDED "\nthis is body\nmore\n", NULL},
    {"8-bit bytes kept",
	"To: a@x.org\nSubject: gr\xc3\xbc\xc3\x9f\n\n\xe4\xb8\xad\xff\n", 0,
	MSG_EOF, false, 0, MS_OK,
	"To: a@x.org\nSubject: gr\xc3\xbc\xc3\x9f\n" ADDED
	"\n\xe4\xb8\xad\xff\n",
	NULL},
    {"NUL in header", "To: a@x.org\nX: a\0b\n\nbody\n", 20, MSG_EOF, false, 0,
	MS_DATA, NULL, NULL},
    {"NUL in body dropped", "To: a@x.org\n\na\0b\0\n\0", 19, MSG_EOF, false,
	0, MS_OK, "To: a@x.org\n" ADDED "\nab\n", NULL},
    {"NUL in the first body line dropped", "a\0b\n", 4, MSG_EOF, false, 0,
	MS_OK, ADDED "\nab\n", NULL},
    /* SMTP smuggling: every published end-of-data variant other than
     * CRLF "." CRLF is content of the same message. */
    {"smuggling LF.LF",
	"To: a@x.org\r\n\r\nA\n.\nMAIL FROM:<e@v.il>\r\nDATA\r\n.\r\n", 0,
	MSG_SMTP, false, 0, MS_OK,
	"To: a@x.org\n" ADDED "\nA\n.\nMAIL FROM:<e@v.il>\nDATA\n", NULL},
    {"smuggling LF.CRLF",
	"To: a@x.org\r\n\r\nA\n.\r\nMAIL FROM:<e@v.il>\r\n.\r\n", 0,
	MSG_SMTP, false, 0, MS_OK,
	"To: a@x.org\n" ADDED "\nA\n.\nMAIL FROM:<e@v.il>\n", NULL},
    {"smuggling CR.CR",
	"To: a@x.org\r\n\r\nA\r.\rMAIL FROM:<e@v.il>\r\n.\r\n", 0,
	MSG_SMTP, false, 0, MS_OK,
	"To: a@x.org\n" ADDED "\nA\n.\nMAIL FROM:<e@v.il>\n", NULL},
    {"smuggling CRLF.CR",
	"To: a@x.org\r\n\r\nA\r\n.\rMAIL FROM:<e@v.il>\r\n.\r\n", 0,
	MSG_SMTP, false, 0, MS_OK,
	"To: a@x.org\n" ADDED "\nA\n\nMAIL FROM:<e@v.il>\n", NULL},
    {"smuggling CR.CRLF",
	"To: a@x.org\r\n\r\nA\r.\r\nMAIL FROM:<e@v.il>\r\n.\r\n", 0,
	MSG_SMTP, false, 0, MS_OK,
	"To: a@x.org\n" ADDED "\nA\n.\nMAIL FROM:<e@v.il>\n", NULL},
    {"smuggling CRLF NUL.CRLF",
	"To: a@x.org\r\n\r\nA\r\n\0.\r\nMAIL FROM:<e@v.il>\r\n.\r\n", 45,
	MSG_SMTP, false, 0, MS_OK,
	"To: a@x.org\n" ADDED "\nA\n.\nMAIL FROM:<e@v.il>\n", NULL},
    {"smuggling CRLF.NUL CRLF",
	"To: a@x.org\r\n\r\nA\r\n.\0\r\nMAIL FROM:<e@v.il>\r\n.\r\n", 45,
	MSG_SMTP, false, 0, MS_OK,
	"To: a@x.org\n" ADDED "\nA\n\nMAIL FROM:<e@v.il>\n", NULL},
    {"smuggling CRLF.CRCRLF",
	"To: a@x.org\r\n\r\nA\r\n.\r\r\nMAIL FROM:<e@v.il>\r\n.\r\n", 0,
	MSG_SMTP, false, 0, MS_OK,
	"To: a@x.org\n" ADDED "\nA\n\nMAIL FROM:<e@v.il>\n", NULL},
    {"SMTP: dot right after DATA ends it", ".\r\nrest\r\n", 0, MSG_SMTP,
	false, 0, MS_OK, ADDED, NULL},
    {"SMTP: no unstuffing after a bare LF",
	"To: a@x.org\r\n\r\nA\n..b\r\n..c\r\n.\r\n", 0, MSG_SMTP, false, 0,
	MS_OK, "To: a@x.org\n" ADDED "\nA\n..b\n.c\n", NULL},
    {"SMTP: LF-only input never ends", "To: a@x.org\n\nbody\n.\n", 0,
	MSG_SMTP, false, 0, MS_IOERR, NULL, NULL},
    {"size limit", "To: a@x.org\n\nbody body body\n", 0, MSG_EOF, false, 100,
	MS_DATA, NULL, NULL},
    {"size limit not reached",
	"From: a@x.org\nDate: x\nMessage-ID: <1@x>\n\nb\n", 0, MSG_EOF, false,
	43, MS_OK, "From: a@x.org\nDate: x\nMessage-ID: <1@x>\n\nb\n", NULL},
    {"size limit one over", "From: a@x.org\nDate: x\nMessage-ID: <1@x>\n\nb\n",
	0, MSG_EOF, false, 42, MS_DATA, NULL, NULL},
};

static int
run(const struct tcase *c, size_t chunk)
{
	static struct rd r;
	struct src src = {c->in, c->inlen ? c->inlen : strlen(c->in), 0, chunk};
	struct sink k = {.extract = c->extract};
	struct msg_sink sink = {sink_begin, sink_write, &k};
	struct msg_params p = {.end = c->end,
	    .limit = c->limit,
	    .hostname = "host.example.com",
	    .from_addr = "root@example.com",
	    .from_name = "Cron Daemon",
	    .now = NOW};
	struct msg_result res;
	struct ms_err err = {""};
	enum ms_status st;
	int bad = 0;
	size_t wlen;

	rd_init(&r, mem_fill, &src);
	st = msg_read(&r, &p, &sink, &res, &err);
	if (st != c->want_status) {
		printf("FAIL %s (chunk %zu): status %d want %d (%s)\n", c->name,
		    chunk, st, c->want_status, err.msg);
		bad = 1;
	} else if (st == MS_OK) {
		wlen = c->want == NULL ? 0 : strlen(c->want);
		if (k.len != wlen || memcmp(k.out, c->want, wlen) != 0) {
			printf("FAIL %s (chunk %zu): got\n[%.*s]\nwant\n[%s]\n",
			    c->name, chunk, (int)k.len, k.out, c->want);
			bad = 1;
		}
		if (res.size != k.len) {
			printf("FAIL %s: size %zu != %zu\n", c->name, res.size,
			    k.len);
			bad = 1;
		}
	} else if (err.msg[0] == '\0') {
		printf("FAIL %s: no message\n", c->name);
		bad = 1;
	}
	if (c->want_rcpts != NULL && strcmp(k.rcpts, c->want_rcpts) != 0) {
		printf("FAIL %s: rcpts '%s' want '%s'\n", c->name, k.rcpts,
		    c->want_rcpts);
		bad = 1;
	}
	free(k.out);
	return bad;
}

/* Appends line (n octets, no LF) to out broken the way Postfix's smtp
 * client breaks lines over smtp_line_length_limit = 998: 998 octets,
 * then LF SPACE and at most 997 more, and so on. Returns the length. */
static size_t
postfix_break(char *out, const char *line, size_t n)
{
	size_t o = 0, take = n < 998 ? n : 998;

	memcpy(out, line, take);
	o = take;
	for (size_t pos = take; pos < n; pos += take) {
		take = n - pos < 997 ? n - pos : 997;
		out[o++] = '\n';
		out[o++] = ' ';
		memcpy(out + o, line + pos, take);
		o += take;
	}
	return o;
}

/* A body line longer than the reader's buffer, its CRLF falling on the
 * buffer boundary: the CR must not be stored, and the line is broken
 * every 998 octets. */
static int
long_line(void)
{
	size_t n = RD_BUF_SIZE * 2 + 100;
	char *in = malloc(n + 64), *want = malloc(n + 65536);
	const char *hdr = "To: a@x.org\n\n";
	size_t h = strlen(hdr), pos, w;
	struct tcase c = { .name = "long line" };
	int bad;

	memcpy(in, hdr, h);
	/* CR lands on the last byte of the first full buffer */
	pos = h;
	memset(in + pos, 'a', RD_BUF_SIZE - 1);
	pos += RD_BUF_SIZE - 1;
	memcpy(in + pos, "\r\nshort\r\n", 9);
	pos += 9;
	in[pos] = '\0';
	w = (size_t)snprintf(want, n, "To: a@x.org\n" ADDED "\n");
	w += postfix_break(want + w, in + h, RD_BUF_SIZE - 1);
	memcpy(want + w, "\nshort\n", 8);
	c.in = in;
	c.end = MSG_EOF;
	c.want_status = MS_OK;
	c.want = want;
	bad = run(&c, RD_BUF_SIZE);
	bad += run(&c, 7);
	free(in);
	free(want);
	return bad;
}

/* Nothing bare on the wire: whatever the input, the stored bytes have no
 * CR, no NUL, and no line over 998 octets; a header folded at white
 * space unfolds (RFC 5322 2.2.3: remove each LF before WSP) to what was
 * given. */
static int
wire_safe(void)
{
	static const size_t sizes[] = { 997, 998, 999, 1995, 1996, 2000, 5000 };
	char *in = malloc(16384), *want = malloc(16384);
	int bad = 0;

	for (size_t k = 0; k < MS_ARRAY_LEN(sizes); k++) {
		size_t n = sizes[k], pos, w;
		struct tcase c = { .name = "body line",
			.end = MSG_EOF,
			.want_status = MS_OK };

		/* body line of n octets, 8-bit and dots included */
		pos = (size_t)snprintf(in, 64, "To: a@x.org\n\n");
		for (size_t i = 0; i < n; i++)
			in[pos + i] = i % 7 == 0 ? '.' : (char)('a' + i % 26);
		pos += n;
		memcpy(in + pos, "\nend\n", 6);
		w = (size_t)snprintf(want, 256, "To: a@x.org\n" ADDED "\n");
		w += postfix_break(want + w, in + 13, n);
		memcpy(want + w, "\nend\n", 6);
		c.in = in;
		c.want = want;
		bad += run(&c, 1 << 20);
		bad += run(&c, 5);

		/* header line without white space: broken like Postfix */
		pos = (size_t)snprintf(in, 64, "To: a@x.org\nX-Long:");
		for (size_t i = 0; i < n; i++)
			in[pos + i] = (char)('A' + i % 26);
		memcpy(in + pos + n, "\n\nb\n", 5);
		w = (size_t)snprintf(want, 64, "To: a@x.org\n");
		w += postfix_break(want + w, in + 12, 7 + n);
		snprintf(want + w, 256, "\n" ADDED "\nb\n");
		c.name = "header line without white space";
		bad += run(&c, 1 << 20);
	}
	free(in);
	free(want);
	return bad;
}

/* A long To: is folded before white space only: no address is cut,
 * every line fits, and unfolding gives back the field. */
static int
header_fold(void)
{
	static struct rd r;
	char in[8192], unf[8192];
	size_t pos = 0, u = 0;
	struct src src;
	struct sink k = { 0 };
	struct msg_sink sink = { sink_begin, sink_write, &k };
	struct msg_params p = { .end = MSG_EOF,
		.hostname = "h.example",
		.from_addr = "r@example.com",
		.now = NOW };
	struct msg_result res;
	struct ms_err err = { "" };
	size_t line = 0, fields = 0;
	int bad = 0;

	pos = (size_t)snprintf(in, sizeof(in), "To: ");
	for (int i = 0; i < 200; i++)
		pos += (size_t)snprintf(in + pos, sizeof(in) - pos,
		    "%suser%03d@example.org", i ? ", " : "", i);
	pos += (size_t)snprintf(in + pos, sizeof(in) - pos, "\n\nbody\n");
	src = (struct src){ in, pos, 0, 1 << 20 };
	rd_init(&r, mem_fill, &src);
	if (msg_read(&r, &p, &sink, &res, &err) != MS_OK) {
		printf("FAIL header fold: %s\n", err.msg);
		free(k.out);
		return 1;
	}
	for (size_t i = 0; i < k.len; i++) {
		if (k.out[i] == '\n') {
			if (line > 998) {
				printf("FAIL header fold: line of %zu\n", line);
				bad = 1;
			}
			line = 0;
			if (i + 1 < k.len &&
			    (k.out[i + 1] == ' ' || k.out[i + 1] == '\t'))
				continue; /* unfold */
			fields++;
		} else {
			line++;
		}
		if (u < sizeof(unf) - 1)
			unf[u++] = k.out[i];
	}
	unf[u] = '\0';
	if (strncmp(unf, in, strlen("To: ") + 200 * 17 + 199 * 2) != 0) {
		printf("FAIL header fold: unfolded To: differs\n%.200s\n", unf);
		bad = 1;
	}
	if (strstr(k.out, "\n ") == NULL) {
		printf("FAIL header fold: not folded\n");
		bad = 1;
	}
	free(k.out);
	return bad;
}

/* Bare local addresses in address fields take the domain (Postfix's
 * append_at_myorigin); every other byte stays (RFC 5322 3.4 forms). */
static const struct {
	const char *in, *want;
} qcases[] = {
    {" root", " root@example.com"},
    {" root\n", " root@example.com\n"},
    {" root@h.example.org", " root@h.example.org"},
    {" root (Cron Daemon)", " root@example.com (Cron Daemon)"},
    {" (c1) root (c2)", " (c1) root@example.com (c2)"},
    {" Cron Daemon <root>", " Cron Daemon <root@example.com>"},
    {" \"Doe, John\" <jdoe>", " \"Doe, John\" <jdoe@example.com>"},
    {" <root>", " <root@example.com>"},
    {" < root >", " < root@example.com >"},
    {" <(c) root (d)>", " <(c) root@example.com (d)>"},
    {" root, admin", " root@example.com, admin@example.com"},
    {" root,admin@x.org,\n\tbob", " root@example.com,admin@x.org,\n\tbob@example.com"},
    {" a@x.org, root", " a@x.org, root@example.com"},
    {" first.last", " first.last@example.com"},
    {" \"john doe\"", " \"john doe\"@example.com"},
    {" \"a@b\"", " \"a@b\"@example.com"},
    {" Team: root, bob@x.org;", " Team: root@example.com, bob@x.org;"},
    {" Team: root, <admin>; , carol", " Team: root@example.com, <admin@example.com>; , carol@example.com"},
    {" undisclosed-recipients:;", " undisclosed-recipients:;"},
    {" John Smith", " John Smith"},
    {" \"unterminated", " \"unterminated"},
    {" (unterminated root", " (unterminated root"},
    {" <root", " <root"},
    {" <@relay.example:root>", " <@relay.example:root@example.com>"},
    {" <@relay.example:root@x.org>", " <@relay.example:root@x.org>"},
    {" a@[192.0.2.1]", " a@[192.0.2.1]"},
    {" \"x, y\" (note, with comma) <x>", " \"x, y\" (note, with comma) <x@example.com>"},
    {" =?UTF-8?Q?J=C3=B6rg?= <joerg>", " =?UTF-8?Q?J=C3=B6rg?= <joerg@example.com>"},
    {"", ""},
    {" ,, ,", " ,, ,"},
    {" <>", " <>"},
    {" bad\\x", " bad\\x"},
    {" root@", " root@"},
};

static int
qualify(void)
{
	static const char hdr[] =
	    "From: root (Cron Daemon)\nTo: root, a@x.org\nCc: ops\n"
	    "Subject: to root, for admin\nReply-To: <admin>\nSender: cron\n"
	    "X-To: root\nResent-From: r\nResent-To: t1,\n t2\n"
	    "Resent-Cc: c\nResent-Sender: s\nBcc: hidden\n"
	    "In-Reply-To: <x@y>\nReferences: abc\nto : spaced\n";
	static const char want[] =
	    "From: root@example.com (Cron Daemon)\nTo: root@example.com, "
	    "a@x.org\nCc: ops@example.com\n"
	    "Subject: to root, for admin\nReply-To: <admin@example.com>\n"
	    "Sender: cron@example.com\n"
	    "X-To: root\nResent-From: r@example.com\n"
	    "Resent-To: t1@example.com,\n t2@example.com\n"
	    "Resent-Cc: c@example.com\nResent-Sender: s@example.com\n"
	    "Bcc: hidden\nIn-Reply-To: <x@y>\nReferences: abc\n"
	    "to : spaced@example.com\n";
	struct ms_err err;
	char *out;
	size_t n;
	int bad = 0;

	for (size_t i = 0; i < MS_ARRAY_LEN(qcases); i++) {
		if (qualify_list(qcases[i].in, strlen(qcases[i].in),
			"example.com", &out, &n, &err) != MS_OK ||
		    n != strlen(qcases[i].want) ||
		    memcmp(out, qcases[i].want, n) != 0) {
			printf("FAIL qualify [%s]: got [%.*s] want [%s]\n",
			    qcases[i].in, (int)n, out, qcases[i].want);
			bad++;
		}
		free(out);
	}
	if (qualify_header(hdr, strlen(hdr), "example.com", &out, &n, &err) !=
		MS_OK ||
	    n != strlen(want) || memcmp(out, want, n) != 0) {
		printf("FAIL qualify header: got\n%.*s\n", (int)n, out);
		bad++;
	}
	free(out);
	return bad;
}

/* In the pipeline: the header is qualified, -t recipients and Bcc are
 * taken from what was given, the body is untouched. */
static int
qualify_pipeline(void)
{
	static struct rd r;
	static const char in[] = "To: root\nCc: Ops <ops>\nBcc: boss\n\n"
				 "To: root\n";
	struct src src = {in, sizeof(in) - 1, 0, 1 << 20};
	struct sink k = {.extract = true};
	struct msg_sink sink = {sink_begin, sink_write, &k};
	struct msg_params p = {.end = MSG_EOF, .hostname = "host.example.com",
	    .from_addr = "root@example.com", .from_name = "Cron Daemon",
	    .domain = "example.com", .now = NOW};
	struct msg_result res;
	struct ms_err err;
	const char *want = "To: root@example.com\nCc: Ops <ops@example.com>\n"
	    ADDED "\nTo: root\n";
	int bad = 0;

	rd_init(&r, mem_fill, &src);
	if (msg_read(&r, &p, &sink, &res, &err) != MS_OK ||
	    k.len != strlen(want) || memcmp(k.out, want, k.len) != 0) {
		printf("FAIL qualify pipeline: got\n%.*s\n", (int)k.len,
		    k.out);
		bad = 1;
	}
	if (strcmp(k.rcpts, "root|ops|boss") != 0) {
		printf("FAIL qualify pipeline: rcpts %s\n", k.rcpts);
		bad = 1;
	}
	free(k.out);
	return bad;
}

/* The Received: field of a local submission: RFC 5322 3.6.7 syntax
 * (tokens, then ';' and a date-time), Postfix's "from userid N". */
static int
received(void)
{
	static struct rd r;
	static const char in[] = "Subject: s\n\nbody\n";
	struct src src = {in, sizeof(in) - 1, 0, 1 << 20};
	struct sink k = {0};
	struct msg_sink sink = {sink_begin, sink_write, &k};
	struct msg_params p = {.end = MSG_EOF, .hostname = "host.example.com",
	    .from_addr = "root@example.com", .from_name = "Cron Daemon",
	    .submitter = "from userid 1000, user alice", .now = NOW};
	struct msg_result res;
	struct ms_err err;
	const char *want =
	    "Received: by host.example.com (mailshim, from userid 1000, "
	    "user alice)\n\tid QID; Mon, 23 Nov 2026 09:34:41 +0000\n"
	    "Subject: s\n" ADDED "\nbody\n";
	char buf[512];
	size_t n;
	int bad = 0;

	rd_init(&r, mem_fill, &src);
	if (msg_read(&r, &p, &sink, &res, &err) != MS_OK ||
	    k.len != strlen(want) || memcmp(k.out, want, k.len) != 0) {
		printf("FAIL received: got\n%.*s\n", (int)k.len, k.out);
		bad = 1;
	}
	free(k.out);
	n = hdr_received(buf, sizeof(buf), "h\n(x);.example",
	    "from userid 7, user (e\\v)\r\nBcc: x", "ESMTP", "ID1", NOW);
	if (n == 0 || strcmp(buf, "Received: by hx.example (mailshim, from "
				  "userid 7, user \\(e\\\\v\\)Bcc: x)\n"
				  "\twith ESMTP id ID1; Mon, 23 Nov 2026 "
				  "09:34:41 +0000\n") != 0) {
		printf("FAIL received quoting: %s\n", buf);
		bad = 1;
	}
	if (hdr_received(buf, 40, "h", "s", NULL, "ID", NOW) != 0) {
		printf("FAIL received: truncation not reported\n");
		bad = 1;
	}
	return bad;
}

/* Date formatting in a zone west of UTC with minutes. */
static int
date_zone(void)
{
	char buf[64];
	int bad = 0;

	setenv("TZ", "<-0330>3:30", 1);
	tzset();
	hdr_date(NOW, buf, sizeof(buf));
	if (strcmp(buf, "Mon, 23 Nov 2026 06:04:41 -0330") != 0) {
		printf("FAIL date -0330: %s\n", buf);
		bad = 1;
	}
	setenv("TZ", "JST-9", 1);
	tzset();
	hdr_date(NOW, buf, sizeof(buf));
	if (strcmp(buf, "Mon, 23 Nov 2026 18:34:41 +0900") != 0) {
		printf("FAIL date +0900: %s\n", buf);
		bad = 1;
	}
	if (hdr_date(NOW, buf, 10) != 0) {
		printf("FAIL date: truncation not reported\n");
		bad = 1;
	}
	setenv("TZ", "UTC", 1);
	tzset();
	return bad;
}

int
main(void)
{
	int failed = 0;

	setenv("TZ", "UTC", 1);
	tzset();
	for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
		failed += run(&cases[i], 1 << 20);
		failed += run(&cases[i], 3); /* input arriving in dribbles */
	}
	failed += long_line();
	failed += wire_safe();
	failed += header_fold();
	failed += qualify();
	failed += qualify_pipeline();
	failed += received();
	failed += date_zone();
	printf("%d failures\n", failed);
	return failed == 0 ? 0 : 1;
}
