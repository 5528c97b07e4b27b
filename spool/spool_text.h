/*
 * spool_text.h - the "key value" line text shared by the envelope
 *                (envelope.c) and the state file (state_text.c): a
 *                bounded text buffer, percent-encoded addresses, and the
 *                line reader. Internal to spool/.
 */
#ifndef MS_SPOOL_TEXT_H
#define MS_SPOOL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "ms.h"

/* A growing text buffer with a ceiling (style: exceeding it is an error). */
struct tbuf {
	char *p;
	size_t len, cap, max;
	bool failed;
};

void tbuf_add(struct tbuf *b, const char *s, size_t n);

/* Hands over the text made in b (NUL-terminated, *len bytes), or frees
 * it and says "WHAT too large or out of memory" (MS_TEMP). */
enum ms_status tbuf_take(struct tbuf *b, const char *what, char **out,
    size_t *len, struct ms_err *err);

/* "key value\n" */
void tbuf_line(struct tbuf *b, const char *key, const char *value);

/* addr percent-encoded: one word of printable ASCII. */
void tbuf_addr(struct tbuf *b, const char *addr);

/* Decodes a percent-encoded address; NULL for a bad escape, %00, or a
 * raw byte that the writer would have encoded. */
char *text_addr_decode(const char *v, size_t n);

/* Splits "key value\n" at buf[pos]; returns the line length including the
 * newline, 0 when no newline is found within max bytes. */
size_t text_next_line(const char *buf, size_t len, size_t pos, size_t max,
    const char **key, size_t *klen, const char **val, size_t *vlen);

/* Longest line a reader takes, by format version. */
size_t text_line_max(int version);

bool text_key_is(const char *key, size_t klen, const char *want);

/* A decimal long long filling the whole value. */
bool text_parse_ll(const char *v, size_t n, long long *out);

/* Copies a value, refusing NUL and CR (a damaged or foreign file). */
char *text_value_dup(const char *v, size_t n);

#endif
