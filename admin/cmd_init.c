/*
 * cmd_init.c - `mailshim init`: create (or repair) the spool with the
 *              owners and modes spool/README documents, and upgrade an
 *              old spool in place: deferred messages still in queue/ are
 *              filed into deferred/ (spool/schedule.h).
 *
 * API:    cmd_init().
 * Trust:  run as root by packaging and contrib/install.sh; the upgrade
 *         runs as the spool's owner, so the buckets it makes are the
 *         flusher's.
 */
#include "config.h"

#include <stdio.h>

#include "admin.h"
#include "log.h"
#include "schedule.h"
#include "spool.h"

int
cmd_init(const struct ms_conf *conf)
{
	struct ms_err err;
	enum ms_status st =
	    spool_init(conf->spool, MS_USER, MS_DROP_GROUP, &err);
	struct spool s;
	size_t filed;

	if (st == MS_OK)
		st = admin_drop_to_spool_owner(conf, &err);
	if (st == MS_OK)
		st = spool_open(&s, conf->spool, &err);
	if (st != MS_OK) {
		log_err("%s", err.msg);
		return ms_exitcode(st);
	}
	/* What a pass would do too, but at once and for all of them. */
	filed = spool_upgrade(&s, conf->retry_max);
	spool_close(&s);
	if (filed > 0)
		printf("%zu deferred messages filed into %s/deferred\n", filed,
		    conf->spool);
	printf("spool %s ready\n", conf->spool);
	return 0;
}
