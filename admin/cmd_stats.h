/*
 * cmd_stats.h - `mailshim stats`: queue shape and per-relay counters.
 *
 * API:    cmd_stats().
 */
#ifndef MS_CMD_STATS_H
#define MS_CMD_STATS_H

#include "conf.h"

/* `mailshim stats [--prometheus [FILE]] [--reset]`; returns the exit code. */
int cmd_stats(const struct ms_conf *conf, int argc, char **argv);

#endif
