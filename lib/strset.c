/*
 * strset.c - an open-addressing set of strings with a number per string:
 *            the aliases table's index and the sets one expansion keeps.
 *
 * API:    strset_get(), strset_add(), strset_free().  Documented in
 *         strset.h.
 * Errors: allocation failure is reported as false; nothing else fails.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strset.h"

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t
strset_pos(const struct strset *set, const char *s)
{
	size_t i = (size_t)hash_str(s) & (set->cap - 1);

	while (set->slot[i] != NULL && strcmp(set->slot[i], s) != 0)
		i = (i + 1) & (set->cap - 1);
	return i;
}

size_t
strset_get(const struct strset *set, const char *s)
{
	size_t i;

	if (set->cap == 0)
		return SIZE_MAX;
	i = strset_pos(set, s);
	return set->slot[i] != NULL ? set->val[i] : SIZE_MAX;
}

static bool
strset_grow(struct strset *set)
{
	struct strset bigger;

	bigger.cap = set->cap == 0 ? 64 : set->cap * 2;
	bigger.n = set->n;
	bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
	bigger.val = calloc(bigger.cap, sizeof(*bigger.val));
	if (bigger.slot == NULL || bigger.val == NULL) {
		free(bigger.slot);
		free(bigger.val);
		return false;
	}
	for (size_t i = 0; i < set->cap; i++) {
		if (set->slot[i] != NULL) {
			size_t j = strset_pos(&bigger, set->slot[i]);

			bigger.slot[j] = set->slot[i];
			bigger.val[j] = set->val[i];
		}
	}
	free(set->slot);
	free(set->val);
	*set = bigger;
	return true;
}

bool
strset_add(struct strset *set, const char *s, size_t val)
{
	size_t i;
	char *copy;

	if ((set->n + 1) * 2 > set->cap && !strset_grow(set))
		return false;
	copy = strdup(s);
	if (copy == NULL)
		return false;
	i = strset_pos(set, s);
	set->slot[i] = copy;
	set->val[i] = val;
	set->n++;
	return true;
}

void
strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
	free(set->val);
	memset(set, 0, sizeof(*set));
}
