/*
 * aliases_table.h - the parsed aliases table, shared by the parser
 *                   (aliases_parse.c) and the expansion
 *                   (aliases_resolve.c). Internal to lib/: callers use
 *                   aliases.h.
 */
#ifndef MS_ALIASES_TABLE_H
#define MS_ALIASES_TABLE_H

#include <stddef.h>

#include "strset.h"

struct alias {
	char *name;	/* lower case */
	int line;	/* where it was defined */
	char **targets; /* addresses; "\name" = name's own mailbox */
	size_t ntargets;
};

struct aliases {
	char *file;
	struct alias *v;
	size_t n, cap;
	struct strset index; /* name -> position in v */
};

/* Names are compared in lower case (ASCII only, as Postfix does). */
static inline void
aliases_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

#endif
