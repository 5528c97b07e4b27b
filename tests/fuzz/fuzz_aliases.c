/*
 * fuzz_aliases.c - libFuzzer target for the aliases parser, the alias
 *                  expander and the From: masquerading rewriter.
 *
 * API:    LLVMFuzzerTestOneInput().
 * Build:  with --enable-fuzzers (clang, -fsanitize=fuzzer); without it
 *         tests/fuzz/replay_aliases feeds the seed corpus to the same
 *         function under `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aliases.h"
#include "masq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum ms_status
count_cb(const char *addr, void *arg, struct ms_err *err)
{
	size_t *n = arg;

	(void)err;
	if (addr == NULL || addr[0] == '\0')
		abort(); /* the expander never emits an empty address */
	(*n)++;
	return MS_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "root", "postmaster", "a", "b",
		"www-data", "root@localhost", "x@example.com" };
	struct aliases *a = NULL;
	struct ms_err err;
	char *text, *out = NULL;

	if (aliases_parse_buf(&a, (const char *)data, size, "fuzz", NULL, NULL,
		&err) == MS_OK) {
		for (size_t i = 0; i < MS_ARRAY_LEN(names); i++) {
			size_t n = 0;

			aliases_resolve_host(a, names[i], "example.com",
			    "web-1.example.com", i % 2 ? "c@example.org" : NULL,
			    count_cb, &n, &err);
		}
		aliases_check(a, "example.com", "h", NULL, NULL, NULL);
		aliases_free(a);
	}

	/* The same bytes as a From: value and as an envelope sender. */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (masq_header_from(text, "example.com", "web-1.example.com", &out) ==
	    MS_OK) {
		char *again = NULL;

		/* Rewriting is idempotent: a second pass changes nothing. */
		if (masq_header_from(out, "example.com", "web-1.example.com",
			&again) == MS_OK &&
		    strcmp(again, out) != 0)
			abort();
		free(again);
		free(out);
	}
	if (masq_sender(text, "example.com", "web-1.example.com", &out) ==
	    MS_OK)
		free(out);
	free(text);
	return 0;
}
