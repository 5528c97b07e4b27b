/*
 * admin.h - the `mailshim` program: one entry point per command.
 *
 * Owns:   main.c (global options, config, dispatch) and one file per
 *         command: cmd_init.c, cmd_flush.c, cmd_queue.c (queue, dead,
 *         show) with cmd_queue_act.c (retry, delete, requeue),
 *         cmd_check.c, cmd_stats.c, cmd_pull.c, cmd_ses_password.c,
 *         cmd_newaliases.c; privdrop.c (root acts on the spool as its
 *         owner).
 * Calls:  the delivery engine (flush/), transports for probes (relay/),
 *         the AWS client (aws/), the spool (spool/) and lib/. Nothing
 *         below includes a header from here: admin/ is the top.
 * Errors: commands return the process exit code (sysexits.h), or an
 *         ms_status with the reason in err for the queue tools.
 */
#ifndef MS_ADMIN_H
#define MS_ADMIN_H

#include "cmd_newaliases.h"
#include "cmd_queue.h"
#include "cmd_stats.h"
#include "conf.h"

/* `mailshim init`: creates the spool with its owners and modes. */
int cmd_init(const struct ms_conf *conf);

/* `mailshim flush [--watch] [--workers N]`: 0 when nothing due is left,
 * 75 when something was deferred. */
int cmd_flush(const struct ms_conf *conf, int argc, char **argv);

/* `mailshim check [--no-network] [--config-only]`: 0 when all is OK or
 * WARN, 78 on any FAIL. */
int cmd_check(const struct ms_conf *conf, int argc, char **argv);

/* `mailshim pull --queue URL [--watch] ...`: SQS -> the local spool; 0
 * when everything received was written and deleted, 75 otherwise. */
int cmd_pull(const struct ms_conf *conf, int argc, char **argv);

/* `mailshim ses-password --region R`: the secret key on stdin. */
int cmd_ses_password(int argc, char **argv);

/* Run as root, switches for good to the owner of the spool (the
 * mailshim user) so that nothing it writes there is root's; a no-op for
 * other users and for a spool owned by root (privdrop.c). */
enum ms_status
admin_drop_to_spool_owner(const struct ms_conf *conf, struct ms_err *err);

#endif
