/*
 * fuzz_addr.c - libFuzzer target for lib/addr.c: RFC 5322 address lists
 *               (groups, comments, quoted names, folding) and the bare
 *               address checks the envelope relies on.
 *
 * API:    LLVMFuzzerTestOneInput().
 * Build:  with --enable-fuzzers (clang); tests/fuzz/replay_addr feeds the
 *         seed corpus to the same function under `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum ms_status
check_cb(const char *addr, void *arg, struct ms_err *err)
{
	char *q;

	(void)err;
	(*(size_t *)arg)++;
	/* What the list parser hands out is a valid bare address. */
	if (addr[0] == '\0' || strlen(addr) > ADDR_MAX || !addr_valid(addr))
		abort();
	q = addr_qualify(addr, "example.com");
	if (q != NULL) {
		if (!addr_is_local(addr) && strcmp(q, addr) != 0)
			abort(); /* qualifying leaves full addresses alone */
		free(q);
	}
	return MS_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct ms_err err;
	size_t n = 0;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	addr_list_parse(text, size, check_cb, &n, &err);
	if (addr_valid(text)) {
		char *q = addr_qualify(text, "example.com");

		addr_domain(text);
		if (q != NULL && !addr_valid(q) && strlen(q) <= ADDR_MAX)
			abort();
		free(q);
	}
	addr_is_local(text);
	free(text);
	return 0;
}
