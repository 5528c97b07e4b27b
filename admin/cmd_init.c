/*
 * cmd_init.c - `mailshim init`: create (or repair) the spool with the
 *              owners and modes spool/README documents.
 *
 * API:    cmd_init().
 * Trust:  run as root by packaging and contrib/install.sh.
 */
#include "config.h"

#include <stdio.h>

#include "admin.h"
#include "log.h"
#include "spool.h"

int
cmd_init(const struct ms_conf *conf)
{
	struct ms_err err;
	enum ms_status st =
	    spool_init(conf->spool, MS_USER, MS_DROP_GROUP, &err);

	if (st != MS_OK) {
		log_err("%s", err.msg);
		return ms_exitcode(st);
	}
	printf("spool %s ready\n", conf->spool);
	return 0;
}
