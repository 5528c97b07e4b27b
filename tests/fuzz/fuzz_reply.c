/*
 * fuzz_reply.c - libFuzzer target for the SMTP transcript state machine
 *                and reply classifier (flush/smtp_reply.c): what a hostile
 *                or broken server sends back.
 *
 * API:    LLVMFuzzerTestOneInput().
 * Input:  chunks; each starts with one control byte: bit 0 = direction
 *         (1 server, 0 us), bits 1-7 = chunk length. A control byte of
 *         0xff begins a new transaction, 0xfe a new connection.
 * Build:  with --enable-fuzzers (clang); tests/fuzz/replay_reply feeds the
 *         seed corpus to the same function under `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reply(const struct smtp_reply *r)
{
	struct smtp_class c;

	if (memchr(r->text, '\0', sizeof(r->text)) == NULL)
		abort(); /* always terminated */
	if (r->code < 0 || r->code > 999)
		abort(); /* three digits at most ("020" is read as 20) */
	smtp_classify(r->code, r->text, r->stage, &c, NULL);
	if (c.result != MS_OK && c.result != MS_TEMP && c.result != MS_PERM)
		abort(); /* the three outcomes of a delivery */
	if (r->code >= 200 && r->code < 300 && c.result != MS_OK)
		abort();
	smtp_stage_name(r->stage);
}

static void
log_cb(char dir, const char *line, void *arg)
{
	(void)arg;
	if ((dir != '<' && dir != '>') || line == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_transcript t;
	size_t i = 0;

	smtp_transcript_init(&t);
	t.log = log_cb;
	smtp_transcript_begin(&t);
	while (i < size) {
		uint8_t c = data[i++];
		size_t n = c >> 1;

		if (c == 0xff) {
			smtp_transcript_begin(&t);
			continue;
		}
		if (c == 0xfe) {
			smtp_transcript_reset_connection(&t);
			smtp_transcript_begin(&t);
			continue;
		}
		if (n > size - i)
			n = size - i;
		smtp_transcript_feed(&t, c & 1, (const char *)data + i, n);
		i += n;
	}
	check_reply(&t.last);
	check_reply(&t.fail);
	check_reply(&t.mail);
	check_reply(&t.data);
	check_reply(&t.dot);
	for (size_t k = 0; k < t.nrcpt; k++) {
		const struct smtp_reply *r = smtp_transcript_rcpt(&t, k);

		if (r == NULL)
			abort();
		check_reply(r);
	}
	if (smtp_transcript_rcpt(&t, t.nrcpt) != NULL)
		abort();
	smtp_transcript_free(&t);
	return 0;
}
