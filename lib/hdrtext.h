/*
 * hdrtext.h - pieces every rewriter of RFC 5322 header text needs: the
 *             scanners that step over quoted strings, comments and
 *             domain literals, and a growable output string.
 *
 * Used by:  lib/masq.c (From: masquerading) and sendmail/qualify.c
 *           ("@domain" for bare names in address headers).
 * Trust:    input is untrusted; every scan is bounded by len and nothing
 *           recurses (comments nest by counting).
 */
#ifndef MS_HDRTEXT_H
#define MS_HDRTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5322 white space as it appears in (unfolded) header text. */
bool hdrtext_is_wsp(char c);

/* Index just past the quoted string, comment or domain literal that
 * starts at s[i] ('"', '(' or '['); a backslash quotes the next byte.
 * Unterminated: returns len and sets *bad (left alone otherwise). */
size_t hdrtext_skip_quoted(const char *s, size_t len, size_t i, bool *bad);
size_t hdrtext_skip_comment(const char *s, size_t len, size_t i, bool *bad);
size_t hdrtext_skip_literal(const char *s, size_t len, size_t i, bool *bad);

/* A growable string, always NUL-terminated once anything (even "") was
 * added. Running out of memory sets oom, which sticks: later adds do
 * nothing, and the caller checks oom once at the end and frees p. */
struct hdrtext_buf {
	char *p;
	size_t len, cap;
	bool oom;
};
void hdrtext_add(struct hdrtext_buf *b, const char *s, size_t n);

#endif
