/*
 * fuzz_options.c - libFuzzer target for the front end's command line
 *                  parser (sm_options_parse) under all three personalities.
 *
 * API:    LLVMFuzzerTestOneInput().
 * Input:  arguments separated by NUL or newline bytes (at most 256).
 * Build:  with --enable-fuzzers (clang); tests/fuzz/replay_options feeds
 *         the seed corpus to the same function under `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define MAX_ARGS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum sm_personality who[] = { SM_AS_SENDMAIL, SM_AS_MAILQ,
		SM_AS_NEWALIASES };
	char *copy = malloc(size + 1);
	char *argv[MAX_ARGS + 2];
	int argc = 0;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = (char *)"sendmail";
	for (size_t i = 0, start = 0; i <= size && argc < MAX_ARGS + 1; i++) {
		if (i == size || copy[i] == '\0' || copy[i] == '\n') {
			copy[i] = '\0';
			argv[argc++] = copy + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	for (size_t k = 0; k < MS_ARRAY_LEN(who); k++) {
		struct sm_opts o;
		struct ms_err err;

		/* The parser may permute argv (getopt): give it a copy. */
		char *args[MAX_ARGS + 2];

		memcpy(args, argv, sizeof(char *) * (size_t)(argc + 1));
		memset(&o, 0, sizeof(o));
		if (sm_options_parse(&o, argc, args, who[k], &err) == MS_OK) {
			/* Invariants a caller relies on. */
			if (o.nrcpt < 0 || o.nrcpt > argc || o.nwarn < 0 ||
			    o.nwarn > SM_MAX_WARN)
				abort();
			for (int i = 0; i < o.nrcpt; i++)
				if (o.rcpts[i] == NULL)
					abort();
			if (strlen(o.sender) > ADDR_MAX)
				abort();
			for (int i = 0; i < o.nwarn; i++)
				if (memchr(o.warn[i], '\0',
					sizeof(o.warn[i])) == NULL)
					abort();
		} else if (err.msg[0] == '\0') {
			abort(); /* a refusal always says why */
		}
	}
	free(copy);
	return 0;
}
