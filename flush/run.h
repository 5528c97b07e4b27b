/*
 * run.h - `mailshim flush`: deliver what is due, with parallel workers,
 *         once or (--watch) forever.
 *
 * API:    run_flush().
 * Exit:   MS_OK when nothing due is left undelivered, MS_TEMP when
 *         something was deferred in this run, other statuses for errors.
 */
#ifndef MS_RUN_H
#define MS_RUN_H

#include <stdbool.h>

#include "conf.h"
#include "ms.h"

struct run_opts {
	bool watch;	   /* keep running, react to new mail */
	int workers;	   /* 0 = from the config */
	long watch_rescan; /* seconds between rescans when idle */
};

enum ms_status run_flush(const struct ms_conf *conf,
    const struct run_opts *opts, struct ms_err *err);

#endif
