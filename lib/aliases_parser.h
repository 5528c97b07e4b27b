/*
 * aliases_parser.h - the state of one parse of an aliases table, shared
 *                    by the line and entry reader (aliases_parse.c) and
 *                    the reader of one target (aliases_target.c).
 *                    Internal to lib/: callers use aliases.h.
 *
 * API:    alias_problem(), alias_add_target(), alias_is_blank().
 */
#ifndef MS_ALIASES_PARSER_H
#define MS_ALIASES_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "aliases.h"
#include "aliases_table.h"

struct alias_parser {
	struct aliases *a;
	aliases_problem_cb pcb;
	void *parg;
	int line; /* line of the entry being parsed */
	int nerrors;
};

/* Reports a problem on the entry's line to the caller's callback; an
 * error (not a warning) is also counted. */
void alias_problem(struct alias_parser *ps, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One comma-separated target, comments removed and trimmed, in tok
 * (len bytes; tok is written to). Adds it to al, or reports why not:
 * MS_TEMP only when memory runs out. */
enum ms_status alias_add_target(struct alias_parser *ps, struct alias *al,
    const char *name, char *tok, size_t len);

static inline bool
alias_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

#endif
