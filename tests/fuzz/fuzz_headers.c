/*
 * fuzz_headers.c - libFuzzer target for the front end's message pipeline:
 *                  the line reader, msg_read() in its three end modes,
 *                  and the header helpers (inspect, Bcc removal, -t
 *                  recipients, added fields, bare addresses
 *                  qualified).
 *
 * Asserts: what msg_read() stores is wire-safe (no CR, no NUL, no line
 *         over MSG_LINE_MAX octets); qualify_list() is idempotent.
 * API:    LLVMFuzzerTestOneInput().
 * Input:  a message as a caller would pipe it to sendmail; the first byte
 *         also picks the reader's chunk size, so short reads are covered.
 * Build:  with --enable-fuzzers (clang); tests/fuzz/replay_headers feeds
 *         the seed corpus to the same function under `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "headers.h"
#include "message.h"
#include "qualify.h"
#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *data;
	size_t size, off, chunk;
};

struct sink {
	size_t bytes;
	bool begun;
	size_t limit;
	size_t col; /* octets on the current stored line */
};

static ssize_t
feed_fill(void *ctx, char *buf, size_t len)
{
	struct feed *f = ctx;
	size_t n = f->size - f->off;

	if (n > len)
		n = len;
	if (n > f->chunk)
		n = f->chunk;
	memcpy(buf, f->data + f->off, n);
	f->off += n;
	return (ssize_t)n;
}

static enum ms_status
rcpt_cb(const char *addr, void *arg, struct ms_err *err)
{
	(void)err;
	if (addr[0] == '\0')
		abort(); /* never an empty address */
	(*(size_t *)arg)++;
	return MS_OK;
}

static enum ms_status
sink_begin(
    void *ctx, const char *hdr, size_t len, const char **id, struct ms_err *err)
{
	struct sink *s = ctx;
	struct hdr_info info;
	size_t n = 0;

	(void)err;
	if (s->begun || len > HDR_MAX_SECTION)
		abort(); /* begin is called once, with a bounded header */
	s->begun = true;
	hdr_inspect(hdr, len, &info);
	hdr_recipients(hdr, len, rcpt_cb, &n, err);
	*id = "0123456789ABCDEF012345";
	return MS_OK;
}

static enum ms_status
sink_write(void *ctx, const void *data, size_t len, struct ms_err *err)
{
	struct sink *s = ctx;

	(void)err;
	if (!s->begun)
		abort(); /* bytes only after the header section began */
	for (size_t i = 0; i < len; i++) {
		char c = ((const char *)data)[i];

		if (c == '\r' || c == '\0')
			abort(); /* would be bare on the wire */
		s->col = c == '\n' ? 0 : s->col + 1;
		if (s->col > MSG_LINE_MAX)
			abort(); /* line too long for SMTP */
	}
	s->bytes += len;
	return MS_OK;
}

static void
header_helpers(const uint8_t *data, size_t size)
{
	char *hdr = malloc(size + 1), out[4096];
	struct hdr_info info;
	struct hdr_fill fill = { .id = "0123456789ABCDEF012345",
		.hostname = "h.example.com",
		.from_addr = "u@example.com",
		.from_name = "A \"quoted\" (name)",
		.now = 1795424400 };
	struct ms_err err;
	size_t n = 0, left;

	if (hdr == NULL)
		return;
	memcpy(hdr, data, size);
	hdr[size] = '\0';
	hdr_inspect(hdr, size, &info);
	hdr_recipients(hdr, size, rcpt_cb, &n, &err);
	if (hdr_missing(&info, &fill, out, sizeof(out), &n, &err) == MS_OK &&
	    n >= sizeof(out))
		abort();
	for (size_t i = 0; i < size;) {
		const char *nl = memchr(hdr + i, '\n', size - i);
		size_t len = nl != NULL ? (size_t)(nl - (hdr + i)) : size - i;

		hdr_is_field(hdr + i, len);
		hdr_name_is(hdr + i, len, "bcc");
		i += len + 1;
	}
	left = hdr_strip_bcc(hdr, size);
	if (left > size)
		abort(); /* removal never grows the header */
	free(hdr);
	{
		char *q1 = NULL, *q2 = NULL;
		size_t l1 = 0, l2 = 0;

		if (qualify_list((const char *)data, size, "example.com", &q1,
			&l1, &err) == MS_OK &&
		    qualify_list(q1, l1, "example.com", &q2, &l2, &err) ==
			MS_OK &&
		    (l1 < size || l1 != l2 || memcmp(q1, q2, l1) != 0))
			abort(); /* only grows, and qualifying twice is once */
		free(q1);
		free(q2);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum msg_end ends[] = { MSG_EOF, MSG_DOT, MSG_SMTP };
	static struct rd r; /* 64 KB: keep it off the stack */

	header_helpers(data, size);
	for (size_t k = 0; k < MS_ARRAY_LEN(ends); k++) {
		struct feed f = { data, size, 0,
			size > 0 ? (size_t)data[0] % 97 + 1 : 1 };
		struct sink s = { 0, false, 0, 0 };
		struct msg_params p = { .end = ends[k],
			.limit = k == 1 ? 300 : 0,
			.hostname = "h.example.com",
			.from_addr = "u@example.com",
			.from_name = "U",
			.domain = k == 2 ? "example.com" : NULL,
			.submitter = k == 1 ? "from userid 1, user u" : NULL,
			.now = 1795424400 };
		struct msg_sink sk = { sink_begin, sink_write, &s };
		struct msg_result res;
		struct ms_err err;

		if (k == 0)
			f.chunk = RD_BUF_SIZE;
		rd_init(&r, feed_fill, &f);
		memset(&res, 0, sizeof(res));
		if (msg_read(&r, &p, &sk, &res, &err) == MS_OK && p.limit > 0 &&
		    res.size > p.limit)
			abort(); /* the limit holds */
	}
	return 0;
}
