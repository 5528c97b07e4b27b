/*
 * test_hdrtext.c - table tests for lib/hdrtext.c: where a quoted string,
 *                  comment or domain literal of RFC 5322 3.2 ends.
 *
 * Expected ends come from the grammar: quoted-pair (3.2.1) quotes any
 * one character, comments nest (3.2.2), a domain literal ends at the
 * first unquoted ']' (3.4.1); an unterminated construct runs to the end.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrtext.h"

enum kind { QUOTED, COMMENT, LITERAL };

static const struct skip_case {
	const char *name;
	enum kind kind;
	const char *in; /* the construct starts at in[0] */
	size_t want;	/* index just past it */
	bool bad;
} cases[] = {
	{ "quoted", QUOTED, "\"john doe\"@x", 10, false },
	{ "quoted, escaped quote", QUOTED, "\"a\\\"b\"c", 6, false },
	{ "quoted, escaped backslash", QUOTED, "\"a\\\\\"b", 5, false },
	{ "quoted, empty", QUOTED, "\"\"", 2, false },
	{ "quoted, unterminated", QUOTED, "\"abc", 4, true },
	{ "quoted, backslash at the end", QUOTED, "\"abc\\", 5, true },
	{ "comment", COMMENT, "(hi) x", 4, false },
	{ "comment, nested", COMMENT, "(a (b) c) x", 9, false },
	{ "comment, escaped paren", COMMENT, "(a \\) b) x", 8, false },
	{ "comment, unterminated nest", COMMENT, "(a (b) c", 8, true },
	{ "literal", LITERAL, "[192.0.2.1]>", 11, false },
	{ "literal, escaped bracket", LITERAL, "[a\\]b]", 6, false },
	{ "literal, unterminated", LITERAL, "[::1", 4, true },
};

static size_t
skip(const struct skip_case *c, bool *bad)
{
	size_t len = strlen(c->in);

	switch (c->kind) {
	case QUOTED: return hdrtext_skip_quoted(c->in, len, 0, bad);
	case COMMENT: return hdrtext_skip_comment(c->in, len, 0, bad);
	default: return hdrtext_skip_literal(c->in, len, 0, bad);
	}
}

static int
check_buf(void)
{
	struct hdrtext_buf b = { 0 };
	int fails = 0;

	hdrtext_add(&b, "", 0); /* "" is a string, not NULL */
	if (b.p == NULL || b.len != 0 || b.p[0] != '\0')
		fails++;
	for (int i = 0; i < 1000; i++)
		hdrtext_add(&b, "ab", 2);
	if (b.oom || b.len != 2000 || strlen(b.p) != 2000 ||
	    memcmp(b.p + 1996, "abab", 4) != 0)
		fails++;
	if (fails > 0)
		printf("FAIL hdrtext_add\n");
	free(b.p);
	return fails;
}

int
main(void)
{
	int fails = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool bad = false;
		size_t got = skip(&cases[i], &bad);

		if (got != cases[i].want || bad != cases[i].bad) {
			printf("FAIL %s: end %zu bad %d, want %zu bad %d\n",
			    cases[i].name, got, bad, cases[i].want,
			    cases[i].bad);
			fails++;
		}
	}
	fails += check_buf();
	printf("%s: %d failed\n", fails ? "FAIL" : "ok", fails);
	return fails ? 1 : 0;
}
