/*
 * tap.h - the smallest test helper: CHECK() counts failures and says
 *         where; tap_done() turns them into the exit status automake
 *         reads (0 pass, 1 fail).
 */
#ifndef MS_TAP_H
#define MS_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_failures;
static int tap_checks;

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		tap_checks++;                                                \
		if (!(cond)) {                                               \
			tap_failures++;                                      \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__,        \
			    __LINE__, #cond);                                \
			fprintf(stderr, __VA_ARGS__);                        \
			fputc('\n', stderr);                                 \
		}                                                            \
	} while (0)

#define CHECK_STR(got, want, name)                                           \
	CHECK((got) != NULL && strcmp((got), (want)) == 0,                   \
	    "%s: got \"%s\", want \"%s\"", (name),                           \
	    (got) != NULL ? (got) : "(null)", (want))

static inline int
tap_done(void)
{
	printf("%d checks, %d failed\n", tap_checks, tap_failures);
	return tap_failures ? 1 : 0;
}

#endif
