/*
 * privdrop.c - admin commands run as root act on the spool as its owner
 *              (the mailshim user), so that every file they create or
 *              rewrite (ID.state, run/rate-*, run/hold-*, run/stats-*)
 *              stays readable by the flusher that runs as that user.
 *
 * API:    admin_drop_to_spool_owner().
 * Trust:  the spool's owner is whoever `mailshim init` chowned it to; a
 *         switch from root to any other uid can only lose privilege. A
 *         spool owned by root (a trial run, the tests) keeps root.
 * Errors: MS_OSERR when the switch fails half-way (never continue as
 *         root then: that is what made files the flusher cannot read).
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "log.h"

enum ms_status
admin_drop_to_spool_owner(const struct ms_conf *conf, struct ms_err *err)
{
	struct stat sb, qsb;
	struct passwd *pw;
	char queue[4200];
	gid_t gid;

	if (geteuid() != 0)
		return MS_OK;
	/* A missing spool: the command itself says so. */
	if (stat(conf->spool, &sb) != 0 || sb.st_uid == 0)
		return MS_OK;
	/* The owner's primary group; without a passwd entry the group of
	 * queue/ (mailshim:mailshim 0700), never the drop group of SPOOL. */
	pw = getpwuid(sb.st_uid);
	snprintf(queue, sizeof(queue), "%s/queue", conf->spool);
	if (pw != NULL)
		gid = pw->pw_gid;
	else if (stat(queue, &qsb) == 0)
		gid = qsb.st_gid;
	else
		gid = sb.st_gid;
	if ((pw != NULL ? initgroups(pw->pw_name, gid) : setgroups(1, &gid)) !=
		0 ||
	    setgid(gid) != 0 || setuid(sb.st_uid) != 0)
		return ms_err_set(err, MS_OSERR,
		    "cannot switch to the spool's owner (uid %ld) to act on "
		    "%s: %s",
		    (long)sb.st_uid, conf->spool, strerror(errno));
	if (setuid(0) == 0)
		return ms_err_set(err, MS_OSERR,
		    "could regain root after switching to uid %ld",
		    (long)sb.st_uid);
	log_verbose("running as the spool's owner %s (uid %ld)",
	    pw != NULL ? pw->pw_name : "?", (long)sb.st_uid);
	return MS_OK;
}
