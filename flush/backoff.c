/*
 * backoff.c - exponential backoff with jitter (Postfix-like defaults:
 *             5 minutes doubling up to 67 minutes).
 */
#include "config.h"

#include "backoff.h"

long
backoff_delay(long first, long max, int attempts, double unit)
{
	double d = (double)first;

	if (first <= 0)
		first = 1, d = 1;
	for (int i = 1; i < attempts && d < (double)max; i++)
		d *= 2;
	if (d > (double)max)
		d = (double)max;
	d *= 0.75 + 0.5 * unit;
	if (d > (double)max)
		d = (double)max;
	return d < 1 ? 1 : (long)d;
}
