/*
 * fuzz_smtpin.c - libFuzzer target for "sendmail -bs": the real SMTP
 *                 command loop of sendmail/smtpd.c (smtpd_run) over
 *                 untrusted input, with the spool replaced by the small
 *                 in-memory submit_*() doubles below (same contract as
 *                 sendmail/submit.h: validate, collect, read the message).
 *
 * API:    LLVMFuzzerTestOneInput().
 * Input:  what a client writes on stdin; replies go to /dev/null.
 * Asserts (abort(), so the fuzzer reports a crash):
 *   - one DATA => at most one message: every DATA ends exactly where an
 *     independent reading of RFC 5321 4.1.1.4 says it does (the first
 *     CRLF "." CRLF, or "." CRLF right after the DATA line), whether the
 *     message was accepted or refused, so nothing of it is ever run as
 *     a command (SMTP smuggling);
 *   - at most one message is begun per DATA;
 *   - the stored bytes are wire-safe: no CR, no NUL, no line over 998
 *     octets.
 * Build:  with --enable-fuzzers (clang); tests/fuzz/replay_smtpin feeds
 *         the seed corpus to the same function under `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "smtpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *data;
	size_t size, off;
};

static ssize_t
feed_fill(void *ctx, char *buf, size_t len)
{
	struct feed *f = ctx;
	size_t n = f->size - f->off;

	if (n > len)
		n = len;
	if (n > 113) /* short reads: lines split across fills */
		n = 113;
	memcpy(buf, f->data + f->off, n);
	f->off += n;
	return (ssize_t)n;
}

static const struct feed *cur_feed;
static const struct rd *cur_rd;
static int begun;  /* messages begun in this DATA */
static size_t col; /* octets on the current stored line */

/* Input bytes consumed by the session so far. */
static size_t
consumed(void)
{
	return cur_feed->off - (cur_rd->end - cur_rd->start);
}

/* Where DATA whose content starts at start must end (just past the
 * final CRLF), or 0 when the input holds no end. */
static size_t
data_end(const uint8_t *d, size_t size, size_t start)
{
	if (size - start >= 3 && memcmp(d + start, ".\r\n", 3) == 0)
		return start + 3;
	for (size_t i = start; i + 5 <= size; i++)
		if (memcmp(d + i, "\r\n.\r\n", 5) == 0)
			return i + 5;
	return 0;
}

/* --- submit_*() doubles: no spool, same validation ---------------- */

enum ms_status
submit_sender(struct submit *s, const char *sender, struct ms_err *err)
{
	char *v;

	if (sender[0] != '\0' && !addr_valid(sender))
		return ms_err_set(err, MS_DATA, "invalid sender address");
	if ((v = strdup(sender)) == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	free(s->env.sender);
	s->env.sender = v;
	s->sender_set = true;
	return MS_OK;
}

enum ms_status
submit_rcpt(struct submit *s, const char *addr, struct ms_err *err)
{
	if (!addr_valid(addr))
		return ms_err_set(err, MS_DATA, "invalid address");
	for (size_t i = 0; i < s->env.nrcpt; i++)
		if (strcasecmp(s->env.rcpts[i], addr) == 0)
			return MS_OK;
	if (s->env.nrcpt >= ENV_MAX_RCPTS)
		return ms_err_set(err, MS_DATA, "too many recipients");
	return env_add_rcpt(&s->env, addr, err);
}

enum ms_status
submit_opt(
    struct submit *s, const char *key, const char *value, struct ms_err *err)
{
	char kv[1100];

	if (snprintf(kv, sizeof(kv), "%s=%s", key, value) >= (int)sizeof(kv))
		return ms_err_set(err, MS_DATA, "option too long");
	return env_add_opt(&s->env, kv, err);
}

static enum ms_status
sink_begin(
    void *ctx, const char *hdr, size_t len, const char **id, struct ms_err *err)
{
	struct submit *s = ctx;

	(void)hdr;
	(void)len;
	(void)err;
	if (s->env.nrcpt == 0)
		abort(); /* DATA is accepted only after a RCPT */
	if (++begun > 1)
		abort(); /* two messages from one DATA */
	col = 0;
	*id = "0123456789ABCDEF012345";
	s->open = true;
	return MS_OK;
}

static enum ms_status
sink_write(void *ctx, const void *data, size_t len, struct ms_err *err)
{
	const uint8_t *p = data;

	(void)ctx;
	(void)err;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\r' || p[i] == '\0')
			abort(); /* would be bare on the wire */
		if (p[i] == '\n')
			col = 0;
		else if (++col > 998)
			abort(); /* line too long for SMTP */
	}
	return MS_OK;
}

enum ms_status
submit_message(struct submit *s, struct rd *r, const struct msg_params *p,
    struct msg_result *res, struct ms_err *err)
{
	struct msg_sink sk = { sink_begin, sink_write, s };
	size_t start = consumed(), want;
	enum ms_status st;

	begun = 0;
	st = msg_read(r, p, &sk, res, err);
	want = data_end(cur_feed->data, cur_feed->size, start);
	if (res->eof ? want != 0 : consumed() != want)
		abort(); /* DATA ended elsewhere: smuggling */
	return st;
}

const char *
submit_id(const struct submit *s)
{
	(void)s;
	return "0123456789ABCDEF012345";
}

void
submit_reset(struct submit *s)
{
	env_free(&s->env);
	memset(&s->env, 0, sizeof(s->env));
	s->open = false;
	s->sender_set = false;
}

/* ------------------------------------------------------------------ */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rd r;
	static bool quiet;
	struct submit s;
	struct feed f = { data, size, 0 };
	struct msg_params base = { .end = MSG_SMTP,
		.limit = 4096,
		.hostname = "h.example.com",
		.from_addr = "u@example.com",
		.now = 1795424400 };
	struct ms_err err;

	if (!quiet) {
		/* Replies are not checked here; keep them off the terminal. */
		if (freopen("/dev/null", "w", stdout) == NULL)
			abort();
		quiet = true;
	}
	memset(&s, 0, sizeof(s));
	rd_init(&r, feed_fill, &f);
	cur_feed = &f;
	cur_rd = &r;
	smtpd_run(&s, &r, &base, "u@example.com", &err);
	submit_reset(&s);
	clearerr(stdout);
	return 0;
}
