/*
 * pullstats.h - `mailshim pull` counters per SQS queue in the spool's run/
 *               directory (shown by `mailshim stats`).
 *
 * API:    pullstats_add(), pullstats_read(), pullstats_list(),
 *         pullstats_reset().
 * Files:  run/pullstats-QUEUE: "since T\nreceived N\nwritten N\n
 *         duplicates N\ndeleted N\nfailed N\n", updated under flock by
 *         every puller; counters only grow (reset with `mailshim stats
 *         --reset`).
 */
#ifndef MS_PULLSTATS_H
#define MS_PULLSTATS_H

#include <stddef.h>

#include "ms.h"
#include "pull.h"

/* Adds c to queue's counters (one flock'ed read-modify-write). */
enum ms_status pullstats_add(int runfd, const char *queue,
    const struct pull_counts *c, struct ms_err *err);

/* Reads queue's counters (zero, since = 0, when there is no file). */
enum ms_status pullstats_read(int runfd, const char *queue,
    struct pull_counts *out, long long *since, struct ms_err *err);

/* Calls fn for every queue that has counters, in directory order. */
void
pullstats_list(int runfd, void (*fn)(const char *queue, void *arg), void *arg);

/* Removes every queue's counters. */
void pullstats_reset(int runfd);

#endif
