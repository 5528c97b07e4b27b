/*
 * cmd_queue.c - the operator's view of the spool: list (like Postfix's
 *               mailq, or one JSON object per message like postqueue -j),
 *               list dead letters, show one message. What changes
 *               messages (retry, delete, requeue) is in cmd_queue_act.c.
 *
 * API:    cmd_queue(), cmd_dead(), cmd_show(), cmd_queue_claim().
 * Trust:  run with the caller's own rights: only root and the mailshim
 *         user can open the spool; everyone else gets a clear refusal.
 *         Messages hold no secrets; neither does anything printed here.
 *         Every field a user or a peer controls (addresses, user name,
 *         reasons, replies) is printed through ms_escape(), so a control
 *         byte in an address cannot hide or forge a line of the listing.
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
#include "escape.h"
#include "schedule.h"
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

/* Untrusted text for the terminal: see escape.h. */
#define ESC_SHOWN 1000 /* bytes of one field shown (ADDR_MAX fits) */
#define ESC_LEN	  MS_ESCAPE_SIZE(ESC_SHOWN)

static const char *
esc(char *buf, const char *s)
{
	return ms_escape(buf, ESC_LEN, s, strlen(s));
}

/* A JSON string; text that is not UTF-8 (jansson refuses it) is given
 * escaped rather than dropped. */
static json_t *
jstr(const char *s)
{
	char buf[ESC_LEN];
	json_t *j = json_string(s);

	return j != NULL ? j : json_string(esc(buf, s));
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
	json_object_set_new(o, "sender", jstr(m->env.sender));
	json_object_set_new(o, "uid", json_integer(m->env.uid));
	if (m->claimed_uid != m->env.uid)
		json_object_set_new(
		    o, "envelope_uid", json_integer(m->claimed_uid));
	json_object_set_new(o, "attempts", json_integer(m->state.attempts));
	json_object_set_new(o, "next_try", json_integer(m->state.next_try));
	if (m->state.reason != NULL)
		json_object_set_new(o, "reason", jstr(m->state.reason));
	for (size_t i = 0; i < m->env.nrcpt; i++) {
		json_t *r = json_object();

		json_object_set_new(r, "address", jstr(m->env.rcpts[i]));
		json_array_append_new(rcpts, r);
	}
	/* Resolved recipients with their status, once tried. */
	for (size_t i = 0; i < m->state.nrcpt; i++) {
		const struct rcpt_state *s = &m->state.rcpts[i];
		json_t *r = json_object();

		json_object_set_new(r, "address", jstr(s->addr));
		json_object_set_new(
		    r, "status", json_string(rcpt_status_name(s->status)));
		if (s->relay != NULL)
			json_object_set_new(r, "relay", jstr(s->relay));
		if (s->reply != NULL)
			json_object_set_new(r, "reply", jstr(s->reply));
		json_array_append_new(rcpts, r);
	}
	json_object_set_new(o, "recipients", rcpts);
	return o;
}

static void
print_msg(const struct spool_msg *m, bool json, const char *area)
{
	char when[64], e[ESC_LEN];

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
	    fmt_time(when, sizeof(when), m->env.arrival),
	    esc(e, m->env.sender));
	if (m->state.reason != NULL)
		printf("%40s(%.300s)\n", "", esc(e, m->state.reason));
	if (m->state.nrcpt == 0)
		for (size_t i = 0; i < m->env.nrcpt; i++)
			printf("%40s%s\n", "", esc(e, m->env.rcpts[i]));
	for (size_t i = 0; i < m->state.nrcpt; i++)
		printf("%40s%s%s%s\n", "", esc(e, m->state.rcpts[i].addr),
		    m->state.rcpts[i].status == RCPT_PENDING ? "" : "  ",
		    m->state.rcpts[i].status == RCPT_PENDING
			? ""
			: rcpt_status_name(m->state.rcpts[i].status));
	printf("\n");
}

/* One file set aside in dead/ (NAME.bad): a message whose envelope still
 * reads is shown like a dead letter, anything else by name and why. */
static void
print_bad(struct spool *s, const char *name, bool json)
{
	char id[SPOOL_ID_LEN + 1], e[ESC_LEN], e2[ESC_LEN];
	struct spool_msg m;
	struct ms_err why;
	bool is_msg = spool_bad_id(name, id);
	bool ok = is_msg && spool_peek(s, AREA_BAD, id, &m, &why) == MS_OK;

	if (!is_msg)
		ms_err_set(&why, MS_DATA, "not a queue file name");
	if (json) {
		json_t *o = ok ? msg_json(&m, "dead") : json_object();
		char *text;

		json_object_set_new(o, "set_aside", json_true());
		json_object_set_new(o, "file", jstr(name));
		if (!ok) {
			json_object_set_new(
			    o, "queue_name", json_string("dead"));
			if (is_msg)
				json_object_set_new(
				    o, "queue_id", json_string(id));
			json_object_set_new(o, "error", jstr(why.msg));
		}
		if ((text = json_dumps(o, JSON_COMPACT)) != NULL)
			printf("%s\n", text);
		free(text);
		json_decref(o);
	} else if (ok) {
		print_msg(&m, false, "dead");
		printf("%40s(set aside as damaged: dead/%s; its envelope "
		       "reads: `mailshim requeue %s` brings it back with a "
		       "fresh state)\n\n",
		    "", esc(e, name), id);
	} else {
		printf("dead/%s\n%40s(set aside as damaged: %s)\n\n",
		    esc(e, name), "", esc(e2, why.msg));
	}
	if (ok)
		spool_release(&m);
}

/* The files set aside as damaged, after the dead letters. */
static enum ms_status
list_bad(struct spool *s, bool json, size_t *count, struct ms_err *err)
{
	char **names;
	size_t n;
	enum ms_status st;

	if ((st = spool_list_bad(s, &names, &n, err)) != MS_OK)
		return st;
	if (!json && n > 0)
		printf("-- Set aside as damaged (dead/*.bad) --\n");
	for (size_t i = 0; i < n; i++)
		print_bad(s, names[i], json);
	if (!json && n > 0)
		printf("-- %zu file%s set aside.\n", n, n == 1 ? "" : "s");
	spool_free_names(names, n);
	*count = n;
	return MS_OK;
}

/* A listing in progress: one message printed at a time, so its memory
 * does not grow with the queue. */
struct listing {
	bool json;
	size_t shown;
	long long bytes;
};

static void
list_one(
    struct spool *s, enum spool_area area, const char *id, struct listing *l)
{
	struct spool_msg m;
	struct ms_err e;
	enum ms_status st = spool_peek(s, area, id, &m, &e);

	if (st != MS_OK) {
		char q[ESC_LEN];

		/* Returned, delivered or removed since it was listed. */
		if (area == AREA_DEFERRED && st == MS_USAGE)
			return;
		if (!l->json)
			printf("%-22s (unreadable: %s)\n\n", id, esc(q, e.msg));
		return;
	}
	if (!l->json && l->shown == 0)
		printf("-Queue ID-              --Size-- ----Arrival "
		       "Time---- -Sender/Recipient-------\n");
	print_msg(&m, l->json,
	    area == AREA_DEAD		? "dead"
		: area == AREA_DEFERRED ? "deferred"
					: "queue");
	l->bytes += m.file_size - m.body_offset;
	l->shown++;
	spool_release(&m);
}

static void
list_deferred(struct spool *s, const char *id, void *arg)
{
	list_one(s, AREA_DEFERRED, id, arg);
}

/* Lists one area; for dead/ also the files set aside as damaged; for
 * queue/ then the deferred messages, bucket by bucket in time order. */
static enum ms_status
list_area(const struct ms_conf *conf, enum spool_area area, bool json,
    struct ms_err *err)
{
	struct listing l = { json, 0, 0 };
	struct spool s;
	struct spool_entry *v = NULL;
	size_t n = 0;
	enum ms_status st;

	if ((st = spool_open(&s, conf->spool, err)) != MS_OK)
		return st;
	if (area == AREA_QUEUE)
		spool_pickup(&s);
	if ((st = spool_list(&s, area, &v, &n, err)) != MS_OK) {
		spool_close(&s);
		return st;
	}
	for (size_t i = 0; i < n; i++)
		list_one(&s, area, v[i].id, &l);
	free(v);
	if (area == AREA_QUEUE &&
	    (st = sched_each(&s, list_deferred, &l, err)) != MS_OK) {
		spool_close(&s);
		return st;
	}
	if (!json && l.shown == 0 && area == AREA_QUEUE)
		printf("Mail queue is empty\n");
	else if (!json && l.shown > 0)
		printf("-- %lld Kbytes in %zu Request%s.\n",
		    (l.bytes + 1023) / 1024, l.shown, l.shown == 1 ? "" : "s");
	if (area == AREA_DEAD) {
		size_t bad = 0;

		st = list_bad(&s, json, &bad, err);
		if (st == MS_OK && !json && l.shown == 0 && bad == 0)
			printf("No dead letters\n");
	}
	spool_close(&s);
	return st;
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

enum ms_status
cmd_queue_claim(struct spool *s, const char *id, bool dead_too,
    struct spool_msg *m, struct ms_err *err)
{
	bool busy = false, found;
	enum ms_status st;

	/* A deferred message comes back to queue/ first (state, then
	 * message), then is claimed there like any other. */
	if ((st = spool_return_id(s, id, &found, err)) != MS_OK)
		return st;
	st = spool_claim(s, AREA_QUEUE, id, m, &busy, err);
	if (st == MS_USAGE && dead_too)
		st = spool_claim(s, AREA_DEAD, id, m, &busy, err);
	if (st == MS_USAGE && dead_too)
		st = spool_claim(s, AREA_BAD, id, m, &busy, err);
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

	bool tty = isatty(STDOUT_FILENO);

	while ((n = pread(m->fd, buf, sizeof(buf), off)) > 0) {
		off += n;
		if (!tty) {
			fwrite(buf, 1, (size_t)n, stdout);
			continue;
		}
		/* On a terminal, no escape sequence from a message body. */
		for (ssize_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[i];

			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
				printf("\\x%02x", c);
			else
				putchar(c);
		}
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
	if (st == MS_USAGE)
		st = spool_peek(&s, AREA_BAD, argv[0], &m, err);
	if (st == MS_USAGE) {
		/* Deferred: read where it is, in its bucket. */
		char bucket[SCHED_NAME_LEN + 1];
		struct ms_err e2;

		if (sched_find(&s, argv[0], bucket) &&
		    sched_use_bucket(&s, bucket, &e2) == MS_OK)
			st = spool_peek(&s, AREA_DEFERRED, argv[0], &m, err);
	}
	if (st == MS_OK) {
		char e1[ESC_LEN], e2[ESC_LEN], e3[ESC_LEN];

		printf("*** ENVELOPE RECORDS %s ***\n", m.id);
		printf("where: %s\narrival: %s\nuid: %ld (%s)\nsender: <%s>\n",
		    m.area == AREA_QUEUE	  ? "queue"
			: m.area == AREA_DEFERRED ? "deferred"
			: m.area == AREA_DEAD	  ? "dead"
					      : "dead (set aside as damaged; "
						"requeue starts a fresh state)",
		    fmt_time(when, sizeof(when), m.env.arrival), m.env.uid,
		    esc(e1, m.env.user ? m.env.user : ""),
		    esc(e2, m.env.sender));
		if (m.claimed_uid != m.env.uid)
			printf("envelope uid: %ld (not the file's owner; "
			       "ignored)\n",
			    m.claimed_uid);
		for (size_t i = 0; i < m.env.nrcpt; i++)
			printf("recipient: %s\n", esc(e1, m.env.rcpts[i]));
		printf("attempts: %d\nnext try: %s\n", m.state.attempts,
		    fmt_time(when, sizeof(when), m.state.next_try));
		for (size_t i = 0; i < m.state.nrcpt; i++)
			printf("status: %s %s %s (%s)\n",
			    esc(e1, m.state.rcpts[i].addr),
			    rcpt_status_name(m.state.rcpts[i].status),
			    esc(e2,
				m.state.rcpts[i].relay ? m.state.rcpts[i].relay
						       : "-"),
			    esc(e3,
				m.state.rcpts[i].reply ? m.state.rcpts[i].reply
						       : ""));
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
