/*
 * cmd_stats.c - `mailshim stats`: the queue's shape and the delivery
 *               counters per relay, for operators (text) and for alerting
 *               (node_exporter textfile format with --prometheus).
 *
 * API:    cmd_stats().
 * Cost:   the queue figures come from directory listings (queue/, each
 *         bucket of deferred/, dead/): a queue id starts with its arrival
 *         time, so no message is opened and no deferred state stat'ed.
 *         The buckets are read by two threads (sched_count).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "schedule.h"
#include "spool.h"
#include "cmd_stats.h"
#include "pullstats.h"
#include "stats.h"

/* Arrival (unix seconds) encoded in a queue id's first 14 hex digits. */
static long long
id_arrival(const char *id)
{
	char usec[15];

	memcpy(usec, id, 14);
	usec[14] = '\0';
	return (long long)(strtoull(usec, NULL, 16) / 1000000ULL);
}

struct queue_shape {
	size_t queued, deferred, dead;
	size_t set_aside; /* dead/NAME.bad: damaged files waiting for a human */
	long long oldest; /* arrival of the oldest queued message */
};

static enum ms_status
queue_shape(struct spool *s, struct queue_shape *q, struct ms_err *err)
{
	struct spool_entry *v = NULL;
	size_t n = 0;
	enum ms_status st;

	char oldest[SPOOL_ID_LEN + 1] = "";

	memset(q, 0, sizeof(*q));
	if ((st = spool_list(s, AREA_QUEUE, &v, &n, err)) != MS_OK)
		return st;
	for (size_t i = 0; i < n; i++) {
		if (v[i].has_state)
			q->deferred++;
		else
			q->queued++;
		if (q->oldest == 0 || id_arrival(v[i].id) < q->oldest)
			q->oldest = id_arrival(v[i].id);
	}
	free(v);
	v = NULL;
	/* deferred/: names only, however many there are. */
	if ((st = sched_count(s, &n, oldest, err)) != MS_OK)
		return st;
	q->deferred += n;
	if (oldest[0] != '\0' &&
	    (q->oldest == 0 || id_arrival(oldest) < q->oldest))
		q->oldest = id_arrival(oldest);
	v = NULL;
	if ((st = spool_list(s, AREA_DEAD, &v, &n, err)) != MS_OK)
		return st;
	q->dead = n;
	free(v);
	{
		char **names;

		if ((st = spool_list_bad(s, &names, &n, err)) != MS_OK)
			return st;
		q->set_aside = n;
		spool_free_names(names, n);
	}
	return MS_OK;
}

struct pull_print {
	FILE *fp;
	int runfd;
	bool prom;
	bool header;
};

static void
print_pull(const char *queue, void *arg)
{
	struct pull_print *pp = arg;
	struct pull_counts c;
	long long since;
	struct ms_err err;
	const char *names[] = { "received", "written", "duplicate", "deleted",
		"failed" };
	unsigned long v[5];

	if (pullstats_read(pp->runfd, queue, &c, &since, &err) != MS_OK)
		return;
	v[0] = c.received, v[1] = c.written, v[2] = c.duplicates;
	v[3] = c.deleted, v[4] = c.failed;
	if (pp->prom) {
		for (size_t i = 0; i < MS_ARRAY_LEN(names); i++)
			fprintf(pp->fp,
			    "mailshim_pull_messages_total{queue=\"%s\","
			    "outcome=\"%s\"} %lu\n",
			    queue, names[i], v[i]);
		return;
	}
	if (!pp->header)
		fprintf(pp->fp, "\n%-20s %10s %10s %10s %10s %10s\n",
		    "pull queue", "received", "written", "duplicate", "deleted",
		    "failed");
	pp->header = true;
	fprintf(pp->fp, "%-20s %10lu %10lu %10lu %10lu %10lu\n", queue, v[0],
	    v[1], v[2], v[3], v[4]);
}

static void
print_text(FILE *fp, const struct ms_conf *conf, struct spool *s,
    const struct queue_shape *q, long long now)
{
	struct spool_tmp_usage tmp;

	fprintf(fp,
	    "queued    %zu\ndeferred  %zu\ndead      %zu\nset aside %zu\n",
	    q->queued, q->deferred, q->dead, q->set_aside);
	fprintf(fp, "oldest    %llds\n", q->oldest ? now - q->oldest : 0);
	spool_tmp_usage(s, &tmp);
	fprintf(fp,
	    "tmp       %zu files, %lld bytes (%zu unchanged for 10 min)\n",
	    tmp.files, tmp.bytes, tmp.stale);
	fprintf(fp, "\n%-20s %10s %10s %10s  since\n", "relay", "sent",
	    "deferred", "dead");
	for (int i = 0; i < conf->nrelays; i++) {
		struct relay_counts c;
		long long since;
		struct ms_err err;
		char when[64] = "-";
		time_t t;

		if (stats_read(s->runfd, conf->relays[i].name, &c, &since,
			&err) != MS_OK)
			continue;
		t = (time_t)since;
		if (since > 0)
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
			    localtime(&t));
		fprintf(fp, "%-20s %10lu %10lu %10lu  %s\n",
		    conf->relays[i].name, c.sent, c.deferred, c.dead, when);
	}
	pullstats_list(s->runfd, print_pull,
	    &(struct pull_print){ fp, s->runfd, false, false });
}

static void
print_prometheus(FILE *fp, const struct ms_conf *conf, struct spool *s,
    const struct queue_shape *q, long long now)
{
	struct spool_tmp_usage tmp;

	fprintf(fp,
	    "# HELP mailshim_queue_messages Messages in the spool.\n"
	    "# TYPE mailshim_queue_messages gauge\n"
	    "mailshim_queue_messages{state=\"queued\"} %zu\n"
	    "mailshim_queue_messages{state=\"deferred\"} %zu\n"
	    "mailshim_queue_messages{state=\"dead\"} %zu\n"
	    "mailshim_queue_messages{state=\"set_aside\"} %zu\n",
	    q->queued, q->deferred, q->dead, q->set_aside);
	fprintf(fp,
	    "# HELP mailshim_queue_oldest_seconds Age of the oldest "
	    "queued message.\n# TYPE mailshim_queue_oldest_seconds gauge\n"
	    "mailshim_queue_oldest_seconds %lld\n",
	    q->oldest ? now - q->oldest : 0);
	spool_tmp_usage(s, &tmp);
	fprintf(fp,
	    "# HELP mailshim_tmp_files Files in tmp/ (being written, or left "
	    "by a killed front end).\n# TYPE mailshim_tmp_files gauge\n"
	    "mailshim_tmp_files %zu\n"
	    "# HELP mailshim_tmp_bytes Bytes in tmp/.\n"
	    "# TYPE mailshim_tmp_bytes gauge\nmailshim_tmp_bytes %lld\n",
	    tmp.files, tmp.bytes);
	fprintf(fp,
	    "# HELP mailshim_relay_recipients_total Recipients per "
	    "relay and outcome.\n# TYPE mailshim_relay_recipients_total "
	    "counter\n");
	for (int i = 0; i < conf->nrelays; i++) {
		struct relay_counts c;
		long long since;
		struct ms_err err;
		const char *name = conf->relays[i].name;

		if (stats_read(s->runfd, name, &c, &since, &err) != MS_OK)
			continue;
		fprintf(fp,
		    "mailshim_relay_recipients_total{relay=\"%s\","
		    "status=\"sent\"} %lu\n",
		    name, c.sent);
		fprintf(fp,
		    "mailshim_relay_recipients_total{relay=\"%s\","
		    "status=\"deferred\"} %lu\n",
		    name, c.deferred);
		fprintf(fp,
		    "mailshim_relay_recipients_total{relay=\"%s\","
		    "status=\"dead\"} %lu\n",
		    name, c.dead);
	}
	fprintf(fp,
	    "# HELP mailshim_pull_messages_total Messages `mailshim pull` "
	    "took from each SQS queue, by outcome.\n"
	    "# TYPE mailshim_pull_messages_total counter\n");
	pullstats_list(s->runfd, print_pull,
	    &(struct pull_print){ fp, s->runfd, true, false });
}

/* Writes through FILE.tmp + rename, so node_exporter never reads half. */
static int
write_prom_file(const char *path, const struct ms_conf *conf, struct spool *s,
    const struct queue_shape *q, long long now)
{
	char tmp[4200];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL) {
		log_err("cannot write %s: %s", tmp, strerror(errno));
		return 73;
	}
	print_prometheus(fp, conf, s, q, now);
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		log_err("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return 73;
	}
	return 0;
}

int
cmd_stats(const struct ms_conf *conf, int argc, char **argv)
{
	bool prom = false, reset = false;
	const char *file = NULL;
	struct queue_shape q;
	struct spool s;
	struct ms_err err;
	long long now = (long long)time(NULL);
	int rc = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--prometheus") == 0) {
			prom = true;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				file = argv[++i];
		} else if (strcmp(argv[i], "--reset") == 0) {
			reset = true;
		} else {
			log_err("usage: mailshim stats [--prometheus [FILE]] "
				"[--reset]");
			return 64;
		}
	}
	if (spool_open(&s, conf->spool, &err) != MS_OK ||
	    queue_shape(&s, &q, &err) != MS_OK) {
		log_err("%s", err.msg);
		spool_close(&s);
		return ms_exitcode(MS_TEMP);
	}
	if (reset) {
		for (int i = 0; i < conf->nrelays; i++)
			stats_reset(s.runfd, conf->relays[i].name);
		pullstats_reset(s.runfd);
	} else if (prom && file != NULL) {
		rc = write_prom_file(file, conf, &s, &q, now);
	} else if (prom) {
		print_prometheus(stdout, conf, &s, &q, now);
	} else {
		print_text(stdout, conf, &s, &q, now);
	}
	spool_close(&s);
	return rc;
}
