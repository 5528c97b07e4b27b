/*
 * ses_check.h - the few assertion helpers the ses unit tests share.
 */
#ifndef MS_SES_CHECK_H
#define MS_SES_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(name, cond)                                                      \
	do {                                                                   \
		check_count++;                                                 \
		if (!(cond)) {                                                 \
			check_failures++;                                      \
			printf("not ok %d - %s (%s:%d: %s)\n", check_count,    \
			    (name), __FILE__, __LINE__, #cond);                \
		} else {                                                       \
			printf("ok %d - %s\n", check_count, (name));           \
		}                                                              \
	} while (0)

#define CHECK_STR(name, got, want)                                             \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		check_count++;                                                 \
		if (g_ == NULL || strcmp(g_, w_) != 0) {                       \
			check_failures++;                                      \
			printf("not ok %d - %s: got \"%s\", want \"%s\"\n",    \
			    check_count, (name), g_ == NULL ? "(null)" : g_,   \
			    w_);                                               \
		} else {                                                       \
			printf("ok %d - %s\n", check_count, (name));           \
		}                                                              \
	} while (0)

#define CHECK_DONE()                                                           \
	(printf("1..%d\n", check_count), check_failures == 0 ? 0 : 1)

#endif
