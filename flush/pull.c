/*
 * pull.c - `mailshim pull`: SQS -> this host's spool, written durably
 *          before the message is deleted from SQS, each hand-off once.
 *
 * API:    pull_run() (pull.h). Reading one message is pull_msg.c, the
 *         queue's client and attributes pull_queue.c, the record of
 *         hand-offs taken pulled.c, the counters pullstats.c.
 * Format: what relay/relay_sqs.c sends: the body is the message (LF) in
 *         base64, the envelope is in "mailshim-*" message attributes,
 *         version "1" (spool/README "SQS hand-off").
 * Trust:  runs as the mailshim user. Everything in a received message is
 *         untrusted: attributes are checked like a spool file's envelope,
 *         the body against MD5OfBody, the key against the queue id and
 *         recipients it names. Bodies are never logged.
 * Signals: SIGTERM/SIGINT stop after the batch in hand (at most one long
 *         poll later); kill -9 at any point loses nothing (a message is
 *         deleted only after it is committed) and duplicates nothing (the
 *         record of hand-offs taken, flush/pulled.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "aws_s3.h"
#include "aws_sqs.h"
#include "log.h"
#include "pull.h"
#include "pull_priv.h"
#include "pulled.h"
#include "pullstats.h"
#include "relay_sqs.h"
#include "spool.h"

#define PULL_MAX_RECORDS   200000
#define PULL_RETENTION_MAX (14 * 86400) /* SQS's longest retention */
#define PULL_PRUNE_EVERY   600		/* seconds, with --watch */
#define PULL_BACKOFF_MAX   60

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct puller {
	const struct ms_conf *conf;
	const struct pull_opts *o;
	struct pull_counts *c;
	struct aws_sqs q;
	struct pulled pd;
	char region[AWS_SQS_REGION_MAX];
	char name[128];
	long long retention; /* seconds the queue keeps a message */
	long max_size;	     /* the queue's MaximumMessageSize */
	bool had_failure;    /* something left behind this run */
};

/* What to do with one received message. */
enum verdict { V_DELETE, V_LEAVE };

/* Writes the message into the local spool under a claimed record. */
static enum ms_status
spool_it(struct puller *p, struct envelope *env, const char *key, int recfd,
    const unsigned char *data, size_t len, char *localid, struct ms_err *err)
{
	struct spool_writer *w = malloc(sizeof(*w));
	char *text = NULL;
	size_t n;
	enum ms_status st;

	if (w == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	if ((st = spool_create(w, p->conf->spool, 0, err)) != MS_OK) {
		free(w);
		return st;
	}
	ms_copy(env->id, sizeof(env->id), w->id);
	env->uid = (long)getuid();
	st = pulled_commit_id(&p->pd, key, recfd, w->id, err);
	if (st == MS_OK)
		st = env_format(env, &text, &n, err);
	if (st == MS_OK)
		st = spool_write(w, text, n, err);
	if (st == MS_OK)
		st = spool_write(w, data, len, err);
	if (st == MS_OK)
		st = spool_commit(w, err);
	free(text);
	if (st != MS_OK && !w->committed) {
		/* The record must go before the tmp/ file does, or a crash
		 * in between would leave a record of a message never
		 * committed whose tmp/ file is gone: read as "taken". */
		if (unlinkat(p->pd.dirfd, key, 0) == 0 || errno == ENOENT)
			fsync(p->pd.dirfd);
		else
			w->committed = true; /* keep tmp/ID: record stays */
	} else if (st != MS_OK) {
		/* Renamed into new/ but new/ not synced: it is queued; a
		 * duplicate is possible only after a power loss. */
		st = MS_OK;
	}
	ms_copy(localid, SPOOL_ID_LEN + 1, w->id);
	spool_abort(w);
	free(w);
	return st;
}

/* The payload a pointer names (bounded by ExtendedPayloadSize). */
static enum ms_status
s3_fetch(struct puller *p, json_t *attrs, const struct s3_ref *s3,
    char **payload, struct ms_err *err)
{
	const char *v = pull_attr_str(attrs, "ExtendedPayloadSize");
	long long want = v != NULL ? strtoll(v, NULL, 10) : -1;
	struct aws_s3 c = { .region = p->region,
		.ca_file = p->o->ca_file,
		.connect_timeout = 10,
		.timeout = 60,
		.cp = p->q.cp };
	size_t len;
	long status;
	enum ms_status st;

	if (want <= 0 || want > PULL_S3_MAX)
		return ms_err_set(err, MS_DATA,
		    "ExtendedPayloadSize missing or above %ld", PULL_S3_MAX);
	st = aws_s3_get(
	    &c, s3->bucket, s3->key, (size_t)want, payload, &len, &status, err);
	if (st == MS_OK && len != (size_t)want)
		st = ms_err_set(err, MS_DATA,
		    "s3://%s/%s has %zu bytes, ExtendedPayloadSize %lld",
		    s3->bucket, s3->key, len, want);
	return st;
}

static enum verdict
take_one(struct puller *p, json_t *m, struct s3_ref *s3)
{
	const char *body = json_string_value(json_object_get(m, "Body"));
	const char *md5 = json_string_value(json_object_get(m, "MD5OfBody"));
	const char *mid = json_string_value(json_object_get(m, "MessageId"));
	const char *count = json_string_value(json_object_get(
	    json_object_get(m, "Attributes"), "ApproximateReceiveCount"));
	json_t *attrs = json_object_get(m, "MessageAttributes");
	struct envelope env;
	struct ms_err err = { "" };
	const char *qid = NULL, *key = NULL;
	unsigned char *data = NULL;
	char *payload = NULL;
	size_t len = 0;
	char have[33], localid[SPOOL_ID_LEN + 1] = "", midq[130];
	enum pulled_verdict pv;
	enum ms_status st;
	enum verdict v = V_LEAVE;
	int recfd = -1;

	memset(&env, 0, sizeof(env));
	s3->bucket[0] = s3->key[0] = '\0';
	ms_quote(midq, sizeof(midq), mid ? mid : "-", strlen(mid ? mid : "-"));
	if (body == NULL) {
		st = ms_err_set(&err, MS_DATA, "no body");
		goto out;
	}
	aws_sqs_md5_hex(body, strlen(body), have);
	if (md5 == NULL || strcmp(md5, have) != 0) {
		st = ms_err_set(&err, MS_DATA, "body does not match MD5OfBody");
		goto out;
	}
	if ((st = pull_envelope(attrs, &env, &qid, &key, &err)) != MS_OK)
		goto out;
	if ((st = pull_pointer(body, s3)) != MS_OK) {
		st = ms_err_set(&err, MS_DATA, "bad S3 pointer body");
		goto out;
	}
	if ((st = pulled_take(&p->pd, key, &pv, &recfd, &err)) != MS_OK)
		goto out;
	if (pv == PULLED_BUSY) {
		st = ms_err_set(
		    &err, MS_TEMP, "another puller is writing this hand-off");
		goto out;
	}
	if (pv == PULLED_DUPLICATE) {
		p->c->duplicates++;
		log_msg(LOG_INFO,
		    "pull: %s: copy from sqs:%s (sqs id %s, received %s "
		    "times) was taken before; deleting it",
		    qid, p->name, midq, count ? count : "?");
		v = V_DELETE;
		goto out;
	}
	if (s3->bucket[0] != '\0' &&
	    (st = s3_fetch(p, attrs, s3, &payload, &err)) != MS_OK)
		goto out;
	if ((data = pull_b64_decode(payload ? payload : body,
		 strlen(payload ? payload : body), &len)) == NULL) {
		st = ms_err_set(&err, MS_DATA, "body is not base64");
		goto out;
	}
	st = spool_it(p, &env, key, recfd, data, len, localid, &err);
	pulled_release(&p->pd, key, recfd, st != MS_OK);
	recfd = -1;
	if (st == MS_OK) {
		char q[256];

		p->c->written++;
		v = V_DELETE;
		log_msg(LOG_INFO,
		    "%s: pulled from sqs:%s, queue id %s, sqs id %s, "
		    "from=<%s> size=%zu nrcpt=%zu queued",
		    localid, p->name, qid, midq,
		    ms_quote(q, sizeof(q), env.sender, strlen(env.sender)), len,
		    env.nrcpt);
	}
out:
	if (recfd >= 0)
		pulled_release(&p->pd, key, recfd, true);
	if (v == V_LEAVE) {
		p->c->failed++;
		p->had_failure = true;
		log_msg(LOG_WARNING,
		    "pull: %s: sqs:%s message %s (received %s times) left in "
		    "the queue for SQS to deliver again or dead-letter: %s",
		    qid ? qid : "-", p->name, midq, count ? count : "?",
		    err.msg);
	}
	free(data);
	free(payload);
	env_free(&env);
	return v;
}

static enum ms_status
queue_setup(struct puller *p, struct ms_err *err)
{
	static const char *const names[] = { "All", NULL };
	json_t *attrs = NULL;
	const char *v;
	struct ms_err aerr;

	p->retention = PULL_RETENTION_MAX;
	if (aws_sqs_attributes(&p->q, p->o->queue_url, names, &attrs, &aerr) !=
	    MS_OK) {
		/* Receiving may still be allowed: go on, keep records for
		 * the longest retention SQS has. */
		log_msg(LOG_WARNING,
		    "pull: cannot read the attributes of %s (%s); keeping "
		    "records of hand-offs for 14 days",
		    p->name, aerr.msg);
		(void)err;
		return MS_OK;
	}
	v = json_string_value(json_object_get(attrs, "MessageRetentionPeriod"));
	if (v != NULL && strtoll(v, NULL, 10) > 0)
		p->retention = strtoll(v, NULL, 10);
	v = json_string_value(json_object_get(attrs, "MaximumMessageSize"));
	if (v != NULL)
		p->max_size = strtol(v, NULL, 10);
	v = json_string_value(json_object_get(attrs, "RedrivePolicy"));
	log_verbose("pull: queue %s: retention %llds, MaximumMessageSize %ld, "
		    "redrive policy %s",
	    p->name, p->retention, p->max_size, v ? v : "none");
	/* Once per process: a timer's one-shot pull every minute would
	 * repeat it all day (`mailshim check` shows it too). */
	if (v == NULL && p->o->watch)
		log_msg(LOG_WARNING,
		    "pull: queue %s has no redrive policy: a message that "
		    "cannot be written stays until its retention ends",
		    p->name);
	else if (v == NULL)
		log_verbose("pull: queue %s has no redrive policy", p->name);
	json_decref(attrs);
	return MS_OK;
}

/* Adds what this batch did to run/pullstats-QUEUE (best effort). */
static void
stats_note(struct puller *p, const struct pull_counts *before)
{
	struct pull_counts d = *p->c;
	struct ms_err err;

	d.received -= before->received;
	d.written -= before->written;
	d.duplicates -= before->duplicates;
	d.deleted -= before->deleted;
	d.failed -= before->failed;
	if (d.received == 0 || p->pd.runfd < 0)
		return;
	if (pullstats_add(p->pd.runfd, p->name, &d, &err) != MS_OK)
		log_verbose("pull: %s", err.msg);
}

/* Removes the S3 payloads of messages deleted from SQS (as the
 * Extended Client does); a failure leaves an orphan object, logged. */
static void
s3_cleanup(
    struct puller *p, const struct s3_ref *refs, const bool *ok, size_t n)
{
	struct aws_s3 c = { .region = p->region,
		.ca_file = p->o->ca_file,
		.connect_timeout = 10,
		.timeout = 60,
		.cp = p->q.cp };
	struct ms_err err;

	for (size_t i = 0; i < n; i++)
		if (ok[i] && refs[i].bucket[0] != '\0' &&
		    aws_s3_delete(&c, refs[i].bucket, refs[i].key, &err) !=
			MS_OK)
			log_msg(LOG_WARNING,
			    "pull: cannot delete s3://%s/%s after its "
			    "message: %s",
			    refs[i].bucket, refs[i].key, err.msg);
}

/* One receive and its batch. *got = messages received. */
static enum ms_status
pull_once(struct puller *p, int wait, size_t *got, struct ms_err *err)
{
	size_t resp_max =
	    10 * (size_t)(p->max_size > 0 ? p->max_size : 1048576) + (1 << 20);
	const char *handles[AWS_SQS_BATCH];
	struct s3_ref *refs = calloc(AWS_SQS_BATCH, sizeof(*refs)), tmp;
	bool ok[AWS_SQS_BATCH];
	size_t i, n = 0, ndel = 0;
	json_t *msgs = NULL, *m;
	struct pull_counts before;
	enum ms_status st;

	before = *p->c;
	*got = 0;
	if (refs == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	st = aws_sqs_receive(&p->q, p->o->queue_url, p->o->max, wait,
	    p->o->visibility, resp_max, &msgs, err);
	if (st != MS_OK) {
		free(refs);
		return st;
	}
	n = json_array_size(msgs);
	*got = n;
	p->c->received += n;
	json_array_foreach(msgs, i, m)
	{
		const char *h =
		    json_string_value(json_object_get(m, "ReceiptHandle"));

		if (i >= AWS_SQS_BATCH)
			break;
		if (take_one(p, m, &tmp) == V_DELETE && h != NULL) {
			refs[ndel] = tmp;
			handles[ndel++] = h;
		}
	}
	if (ndel > 0) {
		struct ms_err derr;

		if (aws_sqs_delete_batch(&p->q, p->o->queue_url, handles, ndel,
			ok, &derr) != MS_OK) {
			log_msg(LOG_WARNING,
			    "pull: DeleteMessageBatch on %s failed (%s): "
			    "the copies SQS delivers again will be "
			    "recognised and deleted",
			    p->name, derr.msg);
			p->had_failure = true;
		} else {
			for (i = 0; i < ndel; i++)
				if (ok[i])
					p->c->deleted++;
				else
					p->had_failure = true;
			s3_cleanup(p, refs, ok, ndel);
		}
	}
	free(refs);
	json_decref(msgs);
	stats_note(p, &before);
	return MS_OK;
}

static enum ms_status
puller_init(struct puller *p, struct ms_err *err)
{
	enum ms_status st = pull_client_init(p->o, p->region, sizeof(p->region),
	    p->name, sizeof(p->name), &p->q, err);

	if (st != MS_OK)
		return st;
	return pulled_open(&p->pd, p->conf->spool, err);
}

enum ms_status
pull_run(const struct ms_conf *conf, const struct pull_opts *o,
    struct pull_counts *c, struct ms_err *err)
{
	struct puller p;
	struct sigaction sa;
	enum ms_status st;
	int wait = o->wait >= 0 ? o->wait : o->watch ? AWS_SQS_MAX_WAIT : 1;
	long backoff = 0;
	long long last_prune = 0;
	size_t got = 0,
	       max_rec = o->max_records > 0 ? o->max_records : PULL_MAX_RECORDS;

	memset(&p, 0, sizeof(p));
	memset(c, 0, sizeof(*c));
	p.conf = conf;
	p.o = o;
	p.c = c;
	p.pd.runfd = p.pd.dirfd = p.pd.tmpfd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((st = puller_init(&p, err)) != MS_OK)
		goto out;
	queue_setup(&p, err);
	do {
		long long now = (long long)time(NULL);

		if (now - last_prune >= PULL_PRUNE_EVERY) {
			/* A copy can come back until the retention ends,
			 * plus a visibility timeout in flight (12 h max). */
			pulled_prune(&p.pd, p.retention + 43200, max_rec);
			last_prune = now;
		}
		st = pull_once(&p, wait, &got, err);
		if (st != MS_OK) {
			if (!o->watch || st == MS_CONFIG)
				break;
			backoff = backoff ? backoff * 2 : 1;
			if (backoff > PULL_BACKOFF_MAX)
				backoff = PULL_BACKOFF_MAX;
			log_msg(LOG_WARNING, "pull: %s; retrying in %lds",
			    err->msg, backoff);
			for (long s = 0; s < backoff && !stop_requested; s++)
				sleep(1);
			continue;
		}
		backoff = 0;
	} while (!stop_requested && (o->watch || got > 0));
	if (st == MS_OK && p.had_failure)
		st = ms_err_set(err, MS_TEMP,
		    "pull: %s: %lu message(s) could not be written and %lu "
		    "written or seen before could not be deleted; SQS will "
		    "deliver them again",
		    p.name, c->failed, c->written + c->duplicates - c->deleted);
out:
	log_verbose("pull: %s: received %lu, written %lu, duplicates %lu, "
		    "deleted %lu, left %lu",
	    p.name[0] ? p.name : o->queue_url, c->received, c->written,
	    c->duplicates, c->deleted, c->failed);
	pulled_close(&p.pd);
	aws_creds_provider_free(p.q.cp);
	return st;
}
