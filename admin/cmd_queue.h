/*
 * cmd_queue.h - the queue tools: queue (mailq), show, retry, delete,
 *               dead, requeue.
 *
 * API:    one function per subcommand; each returns an ms_status and
 *         prints its own output; err holds the reason on failure.
 */
#ifndef MS_CMD_QUEUE_H
#define MS_CMD_QUEUE_H

#include <stdbool.h>

#include "conf.h"
#include "ms.h"
#include "spool.h"

enum ms_status
cmd_queue(const struct ms_conf *conf, bool json, struct ms_err *err);
enum ms_status
cmd_dead(const struct ms_conf *conf, bool json, struct ms_err *err);
enum ms_status
cmd_show(const struct ms_conf *conf, int argc, char **argv, struct ms_err *err);
enum ms_status cmd_retry(
    const struct ms_conf *conf, int argc, char **argv, struct ms_err *err);
enum ms_status cmd_delete(
    const struct ms_conf *conf, int argc, char **argv, struct ms_err *err);
enum ms_status cmd_requeue(
    const struct ms_conf *conf, int argc, char **argv, struct ms_err *err);

/* Claims message id of s: a deferred one returned to queue/ first, then
 * queue/, then (dead_too) dead/ and the set-aside files. MS_TEMP when a
 * flusher holds it right now, MS_USAGE when there is no such message. */
enum ms_status cmd_queue_claim(struct spool *s, const char *id, bool dead_too,
    struct spool_msg *m, struct ms_err *err);

#endif
