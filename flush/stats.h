/*
 * stats.h - per-relay delivery counters kept in the spool's run/
 *           directory (shown by `mailshim stats`, admin/cmd_stats.h).
 *
 * API:    stats_add(), stats_read(), stats_reset().
 * Files:  run/stats-RELAY: "since T\nsent N\ndeferred N\ndead N\n",
 *         updated under flock by every flusher; counters only grow (reset
 *         with `mailshim stats --reset`), as Prometheus counters should.
 */
#ifndef MS_STATS_H
#define MS_STATS_H

#include <stdbool.h>

#include "ms.h"

struct relay_counts {
	unsigned long sent, deferred, dead;
};

/* Adds counts for relay to the file (one flock'ed read-modify-write). */
enum ms_status stats_add(int runfd, const char *relay,
    const struct relay_counts *add, struct ms_err *err);

/* Reads relay's counters; all zero and since = 0 when there is no file. */
enum ms_status stats_read(int runfd, const char *relay,
    struct relay_counts *out, long long *since, struct ms_err *err);

/* Removes relay's counters (they start again from zero). */
void stats_reset(int runfd, const char *relay);

#endif
