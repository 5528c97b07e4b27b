/*
 * fuzz_smtpin.c - libFuzzer target for "sendmail -bs": the real SMTP
 *                 command loop of sendmail/smtpd.c (smtpd_run) over
 *                 untrusted input, with the spool replaced by the small
 *                 in-memory submit_*() doubles below (same contract as
 *                 sendmail/submit.h: validate, collect, read the message).
 *
 * API:    LLVMFuzzerTestOneInput().
 * Input:  what a client writes on stdin; replies go to /dev/null.
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
	*id = "0123456789ABCDEF012345";
	s->open = true;
	return MS_OK;
}

static enum ms_status
sink_write(void *ctx, const void *data, size_t len, struct ms_err *err)
{
	(void)ctx;
	(void)data;
	(void)len;
	(void)err;
	return MS_OK;
}

enum ms_status
submit_message(struct submit *s, struct rd *r, const struct msg_params *p,
    struct msg_result *res, struct ms_err *err)
{
	struct msg_sink sk = { sink_begin, sink_write, s };

	return msg_read(r, p, &sk, res, err);
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
	smtpd_run(&s, &r, &base, "u@example.com", &err);
	submit_reset(&s);
	clearerr(stdout);
	return 0;
}
