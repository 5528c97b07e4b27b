/*
 * hdrtext.c - scanners for quoted strings, comments and domain literals
 *             in header text, and the growable string the rewriters
 *             build their output in.
 *
 * API:    hdrtext_*(), documented in hdrtext.h.
 * Trust:  bounded by len; a backslash at the very end steps past len,
 *         which every loop condition catches.
 * Errors: none; unterminated constructs are reported through *bad, a
 *         failed allocation through buf->oom.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hdrtext.h"

bool
hdrtext_is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Index past the first `close` at or after s[i + 1] that no backslash
 * quotes (len and *bad when there is none). */
static size_t
skip_to(const char *s, size_t len, size_t i, char close, bool *bad)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == close)
			return i + 1;
	}
	*bad = true;
	return len;
}

size_t
hdrtext_skip_quoted(const char *s, size_t len, size_t i, bool *bad)
{
	return skip_to(s, len, i, '"', bad);
}

size_t
hdrtext_skip_literal(const char *s, size_t len, size_t i, bool *bad)
{
	return skip_to(s, len, i, ']', bad);
}

size_t
hdrtext_skip_comment(const char *s, size_t len, size_t i, bool *bad)
{
	int depth = 0;

	for (; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0)
			return i + 1;
	}
	*bad = true;
	return len;
}

void
hdrtext_add(struct hdrtext_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2 + 64;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}
