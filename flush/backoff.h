/*
 * backoff.h - when to try a deferred message again.
 *
 * API:    backoff_delay().
 */
#ifndef MS_BACKOFF_H
#define MS_BACKOFF_H

/* Seconds to wait after the attempts-th failed attempt (1 = first):
 * first * 2^(attempts-1), at most max, then jittered by a factor in
 * [0.75, 1.25) taken from unit (a random number in [0, 1)), and never
 * above max. Jitter spreads retries of a backlog so a recovering relay is
 * not hit by every message in the same second. */
long backoff_delay(long first, long max, int attempts, double unit);

#endif
