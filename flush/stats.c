/*
 * stats.c - delivery counters per relay and the queue's shape, for
 *           operators (`mailshim stats`) and for alerting (node_exporter
 *           textfile format with --prometheus).
 *
 * API:    stats_add(), stats_read(), cmd_stats().
 * Cost:   the queue figures come from one directory listing: a queue id
 *         starts with its arrival time, so no message is opened.
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
#include "spool.h"
#include "stats.h"

static void
stats_name(char *buf, size_t len, const char *relay)
{
	snprintf(buf, len, "stats-%s", relay);
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '/')
			*p = '_';
}

static void
parse_counts(const char *text, struct relay_counts *c, long long *since)
{
	const char *p;

	memset(c, 0, sizeof(*c));
	*since = 0;
	if ((p = strstr(text, "since ")) != NULL)
		*since = strtoll(p + 6, NULL, 10);
	if ((p = strstr(text, "sent ")) != NULL)
		c->sent = strtoul(p + 5, NULL, 10);
	if ((p = strstr(text, "deferred ")) != NULL)
		c->deferred = strtoul(p + 9, NULL, 10);
	if ((p = strstr(text, "dead ")) != NULL)
		c->dead = strtoul(p + 5, NULL, 10);
}

static enum ms_status
open_stats(int runfd, const char *relay, int flags, int *fd, struct ms_err *err)
{
	char name[300];

	stats_name(name, sizeof(name), relay);
	*fd = openat(runfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0 && !(errno == ENOENT && !(flags & O_CREAT)))
		return ms_err_set(err, MS_TEMP, "cannot open run/%s: %s", name,
		    strerror(errno));
	return MS_OK;
}

static ssize_t
read_text(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

enum ms_status
stats_add(int runfd, const char *relay, const struct relay_counts *add,
    struct ms_err *err)
{
	struct relay_counts c;
	long long since;
	char buf[256];
	int fd, n;
	enum ms_status st;

	if ((st = open_stats(runfd, relay, O_RDWR | O_CREAT, &fd, err)) !=
	    MS_OK)
		return st;
	if (flock(fd, LOCK_EX) != 0) {
		close(fd);
		return ms_err_set(
		    err, MS_TEMP, "cannot lock stats: %s", strerror(errno));
	}
	read_text(fd, buf, sizeof(buf));
	parse_counts(buf, &c, &since);
	if (since == 0)
		since = (long long)time(NULL);
	c.sent += add->sent;
	c.deferred += add->deferred;
	c.dead += add->dead;
	n = snprintf(buf, sizeof(buf),
	    "since %lld\nsent %lu\ndeferred %lu\n"
	    "dead %lu\n",
	    since, c.sent, c.deferred, c.dead);
	/* Same or longer than before (counters only grow): overwrite. */
	if (pwrite(fd, buf, (size_t)n, 0) != n || ftruncate(fd, n) != 0)
		st = ms_err_set(
		    err, MS_TEMP, "cannot write stats: %s", strerror(errno));
	close(fd);
	return st;
}

enum ms_status
stats_read(int runfd, const char *relay, struct relay_counts *out,
    long long *since, struct ms_err *err)
{
	char buf[256];
	int fd;
	enum ms_status st;

	memset(out, 0, sizeof(*out));
	*since = 0;
	if ((st = open_stats(runfd, relay, O_RDONLY, &fd, err)) != MS_OK ||
	    fd < 0)
		return st;
	read_text(fd, buf, sizeof(buf));
	close(fd);
	parse_counts(buf, out, since);
	return MS_OK;
}

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
	long long oldest; /* arrival of the oldest queued message */
};

static enum ms_status
queue_shape(struct spool *s, struct queue_shape *q, struct ms_err *err)
{
	struct spool_entry *v = NULL;
	size_t n = 0;
	enum ms_status st;

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
	if ((st = spool_list(s, AREA_DEAD, &v, &n, err)) != MS_OK)
		return st;
	q->dead = n;
	free(v);
	return MS_OK;
}

static void
print_text(FILE *fp, const struct ms_conf *conf, struct spool *s,
    const struct queue_shape *q, long long now)
{
	fprintf(fp, "queued    %zu\ndeferred  %zu\ndead      %zu\n", q->queued,
	    q->deferred, q->dead);
	fprintf(fp, "oldest    %llds\n", q->oldest ? now - q->oldest : 0);
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
}

static void
print_prometheus(FILE *fp, const struct ms_conf *conf, struct spool *s,
    const struct queue_shape *q, long long now)
{
	fprintf(fp,
	    "# HELP mailshim_queue_messages Messages in the spool.\n"
	    "# TYPE mailshim_queue_messages gauge\n"
	    "mailshim_queue_messages{state=\"queued\"} %zu\n"
	    "mailshim_queue_messages{state=\"deferred\"} %zu\n"
	    "mailshim_queue_messages{state=\"dead\"} %zu\n",
	    q->queued, q->deferred, q->dead);
	fprintf(fp,
	    "# HELP mailshim_queue_oldest_seconds Age of the oldest "
	    "queued message.\n# TYPE mailshim_queue_oldest_seconds gauge\n"
	    "mailshim_queue_oldest_seconds %lld\n",
	    q->oldest ? now - q->oldest : 0);
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
		for (int i = 0; i < conf->nrelays; i++) {
			char name[300];

			stats_name(name, sizeof(name), conf->relays[i].name);
			unlinkat(s.runfd, name, 0);
		}
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
