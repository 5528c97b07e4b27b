/*
 * strset.h - a set of strings, each with a caller's number (FNV-1a hash,
 *            open addressing, grows by doubling). A zeroed struct is an
 *            empty set.
 *
 * API:    strset_get(), strset_add(), strset_free().
 */
#ifndef MS_STRSET_H
#define MS_STRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h> /* SIZE_MAX: "not in the set" */

struct strset {
	char **slot; /* NULL = empty */
	size_t *val; /* per slot: a caller's number */
	size_t cap, n;
};

/* The value stored with s, or SIZE_MAX when s is not in the set. */
size_t strset_get(const struct strset *set, const char *s);

/* Adds a copy of s with value val (s must not be in the set yet). False
 * when memory ran out. */
bool strset_add(struct strset *set, const char *s, size_t val);

/* Frees every copy and leaves an empty set. */
void strset_free(struct strset *set);

#endif
