/*
 * cmd_flush.c - `mailshim flush [--watch] [--workers N]`: runs the
 *               delivery engine (flush/run.h) and maps its outcome to an
 *               exit status.
 *
 * API:    cmd_flush().
 * Trust:  runs as the mailshim user; the only command that delivers.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "log.h"
#include "run.h"

int
cmd_flush(const struct ms_conf *conf, int argc, char **argv)
{
	struct run_opts opts = { 0 };
	struct ms_err err;
	enum ms_status st;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--watch") == 0) {
			opts.watch = true;
		} else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
			opts.workers = (int)strtol(argv[++i], NULL, 10);
		} else {
			log_err("flush: unknown argument \"%.40s\" (usage: "
				"mailshim flush [--watch] [--workers N])",
			    argv[i]);
			return 64;
		}
	}
	st = run_flush(conf, &opts, &err);
	/* A deferral is an ordinary outcome: say it only with -v. */
	if (st == MS_TEMP && strstr(err.msg, "deferred") != NULL) {
		log_verbose("%s", err.msg);
		return ms_exitcode(st);
	}
	if (st != MS_OK)
		log_err("%s", err.msg);
	return ms_exitcode(st);
}
