/*
 * stats.h - per-relay delivery counters kept in the spool's run/
 *           directory, and `mailshim stats` (text or Prometheus textfile).
 *
 * API:    stats_note(), stats_flush(), cmd_stats().
 * Files:  run/stats-RELAY: "since T\nsent N\ndeferred N\ndead N\n",
 *         updated under flock by every flusher; counters only grow (reset
 *         with `mailshim stats --reset`), as Prometheus counters should.
 */
#ifndef MS_STATS_H
#define MS_STATS_H

#include <stdbool.h>

#include "conf.h"
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

/* `mailshim stats [--prometheus [FILE]] [--reset]`. */
int cmd_stats(const struct ms_conf *conf, int argc, char **argv);

#endif
