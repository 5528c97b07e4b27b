/*
 * fuzz_spool.c - libFuzzer target for what the flusher reads back from
 *                the spool: the envelope block of a message file
 *                (env_parse) and the ID.state file (state_parse), each
 *                with a format/parse round trip.
 *
 * API:    LLVMFuzzerTestOneInput().
 * Input:  a message file or a state file (both parsers see every input).
 * Build:  with --enable-fuzzers (clang); tests/fuzz/replay_spool feeds the
 *         seed corpus to the same function under `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
envelope_round_trip(const char *buf, size_t size)
{
	struct envelope env, again;
	struct ms_err err;
	size_t used = 0, len = 0, used2 = 0;
	char *out = NULL;

	memset(&env, 0, sizeof(env));
	if (env_parse(&env, buf, size, &used, &err) != MS_OK) {
		env_free(&env);
		return;
	}
	if (used > size)
		abort();
	if (env_format(&env, &out, &len, &err) == MS_OK) {
		/* What we wrote, we read back to the same envelope. */
		memset(&again, 0, sizeof(again));
		if (env_parse(&again, out, len, &used2, &err) != MS_OK ||
		    used2 != len || again.nrcpt != env.nrcpt ||
		    again.nopt != env.nopt ||
		    strcmp(again.sender, env.sender) != 0)
			abort();
		for (size_t i = 0; i < env.nrcpt; i++)
			if (strcmp(again.rcpts[i], env.rcpts[i]) != 0)
				abort();
		env_free(&again);
		free(out);
	}
	env_free(&env);
}

static void
state_round_trip(const char *buf, size_t size)
{
	struct msg_state st, again;
	struct ms_err err;
	char *out = NULL;
	size_t len = 0;

	memset(&st, 0, sizeof(st));
	if (state_parse(&st, buf, size, &err) != MS_OK) {
		state_free(&st);
		return;
	}
	if (state_format(&st, &out, &len, &err) == MS_OK) {
		memset(&again, 0, sizeof(again));
		if (state_parse(&again, out, len, &err) != MS_OK)
			abort();
		state_free(&again);
		free(out);
	}
	state_free(&st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy, so ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	envelope_round_trip(buf, size);
	state_round_trip(buf, size);
	free(buf);
	return 0;
}
