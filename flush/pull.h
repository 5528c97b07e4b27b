/*
 * pull.h - `mailshim pull`: takes messages an `sqs` relay handed to an
 *          SQS queue and writes them into this host's spool, from where
 *          the ordinary flusher delivers them. SQS is a transport between
 *          spools, not a second delivery engine.
 *
 * API:    pull_run(), pull_inspect().
 * Order:  ReceiveMessage (long poll), for each message: check it (MD5,
 *         envelope attributes, key), claim its record (flush/pulled.h),
 *         write it with the front end's durable writer (fsync, rename,
 *         directory fsync), and only then DeleteMessageBatch. A copy seen
 *         before is deleted without being written; a message that cannot
 *         be written is left for SQS to redeliver (and, after the queue's
 *         maxReceiveCount, to move to its dead-letter queue).
 * Errors: MS_OK when everything received was written or recognised and
 *         deleted; MS_TEMP when something was left in the queue or SQS
 *         could not be reached; MS_CONFIG for an unusable queue/region.
 */
#ifndef MS_PULL_H
#define MS_PULL_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "ms.h"

struct pull_opts {
	const char *queue_url;	 /* required */
	const char *region;	 /* NULL: from the URL, AWS_REGION */
	const char *endpoint;	 /* NULL: AWS_ENDPOINT_URL_SQS, ... */
	const char *credentials; /* NULL: the AWS chain */
	const char *ca_file;
	bool watch;	    /* keep polling until SIGTERM */
	int wait;	    /* WaitTimeSeconds; < 0: 20 with watch, else 1 */
	int max;	    /* messages per receive, 1..10 (0: 10) */
	int visibility;	    /* VisibilityTimeout, 0: the queue's */
	size_t max_records; /* hand-off records kept, 0: 200000 */
};

struct pull_counts {
	unsigned long received;	  /* messages SQS gave us */
	unsigned long written;	  /* new messages in the local spool */
	unsigned long duplicates; /* copies already taken */
	unsigned long deleted;	  /* removed from SQS */
	unsigned long failed;	  /* left in SQS */
};

enum ms_status pull_run(const struct ms_conf *conf, const struct pull_opts *o,
    struct pull_counts *c, struct ms_err *err);

/* What `mailshim check` shows of a queue (GetQueueAttributes of it and of
 * the dead-letter queue its redrive policy names). -1: unknown. */
struct pull_report {
	char name[128];
	long visible, in_flight;
	long retention, max_size;
	bool redrive;	     /* a RedrivePolicy is set */
	long max_receive;    /* its maxReceiveCount */
	char dlq[128];	     /* its dead-letter queue's name */
	long dlq_visible;    /* messages waiting there, -1 unknown */
	char dlq_error[200]; /* why the DLQ could not be read */
};

enum ms_status pull_inspect(
    const struct pull_opts *o, struct pull_report *rep, struct ms_err *err);

#endif
