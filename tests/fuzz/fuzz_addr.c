/*
 * fuzz_addr.c - libFuzzer target for lib/addr.c and lib/addr_check.c:
 *               RFC 5322 address lists (groups, comments, quoted names,
 *               folding) and the bare address checks the envelope
 *               relies on.
 *
 * API:    LLVMFuzzerTestOneInput().
 * Build:  with --enable-fuzzers (clang); tests/fuzz/replay_addr feeds the
 *         seed corpus to the same function under `make check`.
 * Asserts: every address the front end would accept (addr_valid) comes
 *         back byte for byte through the state file and the envelope
 *         (issue 14: "john doe" came back as "john).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "envelope.h"

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

/* An accepted address survives the spool's two formats unchanged. */
static void
check_roundtrip(const char *addr)
{
	struct msg_state st = { 0 }, back;
	struct envelope env = { .arrival = 1 }, eback;
	struct ms_err err;
	char *text;
	size_t len, used;

	if (state_set(&st, addr, RCPT_SENT, "r", "250 ok", 1, &err) != MS_OK ||
	    state_format(&st, &text, &len, &err) != MS_OK)
		abort();
	if (state_parse(&back, text, len, &err) != MS_OK || back.nrcpt != 1 ||
	    strcmp(back.rcpts[0].addr, addr) != 0 ||
	    back.rcpts[0].status != RCPT_SENT)
		abort();
	state_free(&back);
	state_free(&st);
	free(text);
	memcpy(env.id, "0006652D1A2B3C4D5E6F70", 23);
	if ((env.sender = strdup(addr)) == NULL)
		return;
	if (env_add_rcpt(&env, addr, &err) != MS_OK ||
	    env_format(&env, &text, &len, &err) != MS_OK)
		abort();
	if (env_parse(&eback, text, len, &used, &err) != MS_OK || used != len ||
	    strcmp(eback.sender, addr) != 0 || eback.nrcpt != 1 ||
	    strcmp(eback.rcpts[0], addr) != 0)
		abort();
	env_free(&eback);
	env_free(&env);
	free(text);
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

		check_roundtrip(text);
		addr_domain(text);
		if (q != NULL && !addr_valid(q) && strlen(q) <= ADDR_MAX)
			abort();
		free(q);
	}
	addr_is_local(text);
	free(text);
	return 0;
}
