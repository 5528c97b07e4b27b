/*
 * cmd_queue.c - the operator's view of the spool: list (like Postfix's
 *               mailq, or one JSON object per message like postqueue -j),
 *               show one message, make messages due now, delete, list
 *               dead letters, bring them back.
 *
 * API:    cmd_queue(), cmd_dead(), cmd_show(), cmd_retry(), cmd_delete(),
 *         cmd_requeue().
 * Trust:  run with the caller's own rights: only root and the mailshim
 *         user can open the spool; everyone else gets a clear refusal.
 *         Messages hold no secrets; neither does anything printed here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd_queue.h"
#include "conf.h"
#include "durations.h"
#include "ratelimit.h"
#include "spool.h"

static const char *
fmt_time(char *buf, size_t len, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%a %b %d %H:%M:%S", &tm);
	return buf;
}

static json_t *
msg_json(const struct spool_msg *m, const char *area)
{
	json_t *o = json_object(), *rcpts = json_array();

	json_object_set_new(o, "queue_id", json_string(m->id));
	json_object_set_new(o, "queue_name", json_string(area));
	json_object_set_new(o, "arrival_time", json_integer(m->env.arrival));
	json_object_set_new(o, "message_size",
	    json_integer((json_int_t)(m->file_size - m->body_offset)));
	json_object_set_new(o, "sender", json_string(m->env.sender));
	json_object_set_new(o, "uid", json_integer(m->env.uid));
	json_object_set_new(o, "attempts", json_integer(m->state.attempts));
	json_object_set_new(o, "next_try", json_integer(m->state.next_try));
	if (m->state.reason != NULL)
		json_object_set_new(o, "reason", json_string(m->state.reason));
	for (size_t i = 0; i < m->env.nrcpt; i++) {
		json_t *r = json_object();

		json_object_set_new(r, "address", json_string(m->env.rcpts[i]));
		json_array_append_new(rcpts, r);
	}
	/* Resolved recipients with their status, once tried. */
	for (size_t i = 0; i < m->state.nrcpt; i++) {
		const struct rcpt_state *s = &m->state.rcpts[i];
		json_t *r = json_object();

		json_object_set_new(r, "address", json_string(s->addr));
		json_object_set_new(
		    r, "status", json_string(rcpt_status_name(s->status)));
		if (s->relay != NULL)
			json_object_set_new(r, "relay", json_string(s->relay));
		if (s->reply != NULL)
			json_object_set_new(r, "reply", json_string(s->reply));
		json_array_append_new(rcpts, r);
	}
	json_object_set_new(o, "recipients", rcpts);
	return o;
}

static void
print_msg(const struct spool_msg *m, bool json, const char *area)
{
	char when[64];

	if (json) {
		json_t *o = msg_json(m, area);
		char *text = json_dumps(o, JSON_COMPACT);

		if (text != NULL)
			printf("%s\n", text);
		free(text);
		json_decref(o);
		return;
	}
	printf("%-22s %8lld %s  <%s>\n", m->id,
	    (long long)(m->file_size - m->body_offset),
	    fmt_time(when, sizeof(when), m->env.arrival), m->env.sender);
	if (m->state.reason != NULL)
		printf("%40s(%.300s)\n", "", m->state.reason);
	if (m->state.nrcpt == 0)
		for (size_t i = 0; i < m->env.nrcpt; i++)
			printf("%40s%s\n", "", m->env.rcpts[i]);
	for (size_t i = 0; i < m->state.nrcpt; i++)
		printf("%40s%s%s%s\n", "", m->state.rcpts[i].addr,
		    m->state.rcpts[i].status == RCPT_PENDING ? "" : "  ",
		    m->state.rcpts[i].status == RCPT_PENDING
			? ""
			: rcpt_status_name(m->state.rcpts[i].status));
	printf("\n");
}

/* Lists one area; for dead/ also the files set aside as damaged. */
static enum ms_status
list_area(const struct ms_conf *conf, enum spool_area area, bool json,
    struct ms_err *err)
{
	const char *name = area == AREA_DEAD ? "dead" : "queue";
	struct spool s;
	struct spool_entry *v = NULL;
	size_t n = 0, shown = 0;
	long long bytes = 0;
	enum ms_status st;

	if ((st = spool_open(&s, conf->spool, err)) != MS_OK)
		return st;
	if (area == AREA_QUEUE)
		spool_pickup(&s);
	if ((st = spool_list(&s, area, &v, &n, err)) != MS_OK) {
		spool_close(&s);
		return st;
	}
	for (size_t i = 0; i < n; i++) {
		struct spool_msg m;
		struct ms_err e;

		if (spool_peek(&s, area, v[i].id, &m, &e) != MS_OK) {
			if (!json)
				printf("%-22s (unreadable: %s)\n\n", v[i].id,
				    e.msg);
			continue;
		}
		if (!json && shown == 0)
			printf("-Queue ID-              --Size-- ----Arrival "
			       "Time---- -Sender/Recipient-------\n");
		print_msg(&m, json, name);
		bytes += m.file_size - m.body_offset;
		shown++;
		spool_release(&m);
	}
	if (!json && shown == 0)
		printf(area == AREA_DEAD ? "No dead letters\n"
					 : "Mail queue is empty\n");
	else if (!json)
		printf("-- %lld Kbytes in %zu Request%s.\n",
		    (bytes + 1023) / 1024, shown, shown == 1 ? "" : "s");
	free(v);
	spool_close(&s);
	return MS_OK;
}

enum ms_status
cmd_queue(const struct ms_conf *conf, bool json, struct ms_err *err)
{
	return list_area(conf, AREA_QUEUE, json, err);
}

enum ms_status
cmd_dead(const struct ms_conf *conf, bool json, struct ms_err *err)
{
	return list_area(conf, AREA_DEAD, json, err);
}

/* Claims id in area (queue first, then dead when area_any). */
static enum ms_status
claim_any(struct spool *s, const char *id, bool dead_too, struct spool_msg *m,
    struct ms_err *err)
{
	bool busy = false;
	enum ms_status st;

	st = spool_claim(s, AREA_QUEUE, id, m, &busy, err);
	if (st == MS_USAGE && dead_too)
		st = spool_claim(s, AREA_DEAD, id, m, &busy, err);
	if (st == MS_OK && busy)
		return ms_err_set(err, MS_TEMP,
		    "message %s is being delivered "
		    "right now; try again",
		    id);
	return st;
}

static enum ms_status
copy_body(const struct spool_msg *m)
{
	char buf[65536];
	off_t off = m->body_offset;
	ssize_t n;

	while ((n = pread(m->fd, buf, sizeof(buf), off)) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		off += n;
	}
	return n < 0 ? MS_TEMP : MS_OK;
}

enum ms_status
cmd_show(const struct ms_conf *conf, int argc, char **argv, struct ms_err *err)
{
	struct spool s;
	struct spool_msg m;
	enum ms_status st;
	char when[64];

	if (argc != 1)
		return ms_err_set(err, MS_USAGE, "usage: mailshim show ID");
	if ((st = spool_open(&s, conf->spool, err)) != MS_OK)
		return st;
	spool_pickup(&s);
	st = spool_peek(&s, AREA_QUEUE, argv[0], &m, err);
	if (st == MS_USAGE)
		st = spool_peek(&s, AREA_DEAD, argv[0], &m, err);
	if (st == MS_OK) {
		printf("*** ENVELOPE RECORDS %s ***\n", m.id);
		printf("where: %s\narrival: %s\nuid: %ld (%s)\nsender: <%s>\n",
		    m.area == AREA_DEAD ? "dead" : "queue",
		    fmt_time(when, sizeof(when), m.env.arrival), m.env.uid,
		    m.env.user ? m.env.user : "", m.env.sender);
		for (size_t i = 0; i < m.env.nrcpt; i++)
			printf("recipient: %s\n", m.env.rcpts[i]);
		printf("attempts: %d\nnext try: %s\n", m.state.attempts,
		    fmt_time(when, sizeof(when), m.state.next_try));
		for (size_t i = 0; i < m.state.nrcpt; i++)
			printf("status: %s %s %s (%s)\n", m.state.rcpts[i].addr,
			    rcpt_status_name(m.state.rcpts[i].status),
			    m.state.rcpts[i].relay ? m.state.rcpts[i].relay
						   : "-",
			    m.state.rcpts[i].reply ? m.state.rcpts[i].reply
						   : "");
		printf("*** MESSAGE CONTENTS %s ***\n", m.id);
		fflush(stdout);
		st = copy_body(&m);
		if (st != MS_OK)
			ms_err_set(err, st, "cannot read message %s", m.id);
		spool_release(&m);
	}
	spool_close(&s);
	return st;
}

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

		st = claim_any(&s, argv[i], dead_too, &m, &e);
		if (st == MS_OK)
			st = fn(&m, &e);
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

	if (m->area != AREA_DEAD) {
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
