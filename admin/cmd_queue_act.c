/*
 * cmd_queue_act.c - the queue tools that change messages: make them due
 *                   now (retry, which also lifts relay holds), delete
 *                   them, bring dead letters back (requeue).
 *
 * API:    cmd_retry(), cmd_delete(), cmd_requeue() (cmd_queue.h).
 * Trust:  run with the caller's own rights, as cmd_queue.c; every id is
 *         claimed first (cmd_queue_claim), so a message being delivered
 *         right now is never changed under its flusher.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cmd_queue.h"
#include "conf.h"
#include "ratelimit.h"
#include "schedule.h"
#include "spool.h"

/* Applies fn to each id; the first failure's status is returned but
 * every id is tried. */
static enum ms_status
each_id(const struct ms_conf *conf, int argc, char **argv, bool dead_too,
    enum ms_status (*fn)(struct spool_msg *, struct ms_err *), const char *verb,
    struct ms_err *err)
{
	struct spool s;
	enum ms_status st, worst = MS_OK;

	if ((st = spool_open(&s, conf->spool, err)) != MS_OK)
		return st;
	spool_pickup(&s);
	for (int i = 0; i < argc; i++) {
		struct spool_msg m;
		struct ms_err e;

		st = cmd_queue_claim(&s, argv[i], dead_too, &m, &e);
		if (st == MS_OK)
			st = fn(&m, &e);
		else if (st == MS_DATA && fn == spool_delete)
			/* set aside and unreadable: delete needs no envelope */
			st = spool_delete_bad(&s, argv[i], &e);
		if (st == MS_OK) {
			printf("%s: %s\n", argv[i], verb);
			continue;
		}
		fprintf(stderr, "mailshim: %s\n", e.msg);
		if (worst == MS_OK) {
			worst = st;
			*err = e;
		}
	}
	spool_close(&s);
	return worst;
}

static enum ms_status
make_due(struct spool_msg *m, struct ms_err *err)
{
	enum ms_status st;

	if (m->area != AREA_QUEUE) {
		spool_release(m);
		return ms_err_set(err, MS_USAGE,
		    "message %s is a dead letter; "
		    "use mailshim requeue",
		    m->id);
	}
	m->state.next_try = 0;
	st = spool_save_state(m, err);
	if (st == MS_OK)
		spool_wake(m->s); /* a flush --watch looks now */
	spool_release(m);
	return st;
}

enum ms_status
cmd_retry(const struct ms_conf *conf, int argc, char **argv, struct ms_err *err)
{
	struct spool s;
	struct spool_entry *v = NULL;
	size_t n = 0;
	enum ms_status st;

	if (argc > 0)
		return each_id(
		    conf, argc, argv, false, make_due, "due now", err);
	/* No ids: everything is due now and every relay hold is lifted. */
	if ((st = spool_open(&s, conf->spool, err)) != MS_OK)
		return st;
	for (int i = 0; i < conf->nrelays; i++)
		relay_hold_clear(s.runfd, conf->relays[i].name);
	spool_return_all(&s);
	st = spool_list(&s, AREA_QUEUE, &v, &n, err);
	for (size_t i = 0; st == MS_OK && i < n; i++) {
		struct spool_msg m;
		bool busy;
		struct ms_err e;

		if (!v[i].has_state ||
		    spool_claim(&s, AREA_QUEUE, v[i].id, &m, &busy, &e) !=
			MS_OK ||
		    busy)
			continue;
		make_due(&m, &e);
	}
	if (st == MS_OK) {
		spool_wake(&s);
		printf("%zu messages due now\n", n);
	}
	free(v);
	spool_close(&s);
	return st;
}

enum ms_status
cmd_delete(
    const struct ms_conf *conf, int argc, char **argv, struct ms_err *err)
{
	if (argc == 0)
		return ms_err_set(
		    err, MS_USAGE, "usage: mailshim delete ID...");
	return each_id(conf, argc, argv, true, spool_delete, "deleted", err);
}

static enum ms_status
requeue_one(struct spool_msg *m, struct ms_err *err)
{
	struct spool *s = m->s;
	enum ms_status st;

	if (m->area == AREA_QUEUE) {
		spool_release(m);
		return ms_err_set(err, MS_USAGE,
		    "message %s is not a dead "
		    "letter",
		    m->id);
	}
	st = spool_requeue(m, err);
	if (st == MS_OK)
		spool_wake(s); /* a flush --watch looks now */
	return st;
}

enum ms_status
cmd_requeue(
    const struct ms_conf *conf, int argc, char **argv, struct ms_err *err)
{
	if (argc == 0)
		return ms_err_set(
		    err, MS_USAGE, "usage: mailshim requeue ID...");
	return each_id(conf, argc, argv, true, requeue_one, "requeued", err);
}
