/*
 * test_ms.c - lib/ms.c's ms_grow(): an array grows by doubling from its
 *             first size, is left alone while there is room, and a size
 *             that would overflow is refused with the array unchanged.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "ms.h"
#include "tap.h"

int
main(void)
{
	int *v = NULL, *nv;
	size_t cap = 0, n;

	for (n = 0; n < 1000; n++) {
		if ((nv = ms_grow(v, &cap, n, sizeof(*v), 16)) == NULL)
			break;
		v = nv;
		v[n] = (int)n;
	}
	CHECK(n == 1000, "grew to hold 1000: stopped at %zu", n);
	CHECK(cap == 1024, "16 doubled six times: cap %zu", cap);
	for (n = 0; n < 1000 && v != NULL; n++)
		if (v[n] != (int)n)
			break;
	CHECK(n == 1000, "kept every element: first wrong at %zu", n);
	CHECK(ms_grow(v, &cap, 500, sizeof(*v), 16) == v && cap == 1024,
	    "room left: same array, same cap");

	/* Doubling past SIZE_MAX bytes: refused, nothing changed. */
	cap = 8;
	CHECK(ms_grow(v, &cap, 8, SIZE_MAX / 8, 16) == NULL && cap == 8,
	    "overflowing size refused, cap %zu", cap);
	CHECK(v != NULL && v[999] == 999, "array intact after a refusal");
	free(v);
	return tap_done();
}
