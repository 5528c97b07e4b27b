/*
 * cmd_pull.c - `mailshim pull --queue URL [--watch] [--region R]
 *              [--endpoint URL] [--credentials SRC] [--wait S] [--max N]
 *              [--visibility S] [--max-records N]`: takes what `sqs`
 *              relays handed to an SQS queue into this host's spool
 *              (flush/pull.h); `mailshim flush` delivers it from there.
 *
 * API:    cmd_pull().
 * Trust:  runs as the mailshim user (it writes the spool and its run/).
 * Errors: 0 everything received was written (or was a copy) and deleted;
 *         75 something was left in the queue or SQS was unreachable;
 *         64 usage; 78 configuration.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "log.h"
#include "pull.h"

static const char pull_usage[] =
    "usage: mailshim pull --queue URL [--watch] [--region R] "
    "[--endpoint URL] [--credentials SRC] [--wait SECONDS] [--max N] "
    "[--visibility SECONDS] [--max-records N]";

static bool
num_arg(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int
cmd_pull(const struct ms_conf *conf, int argc, char **argv)
{
	struct pull_opts o = { .wait = -1 };
	struct pull_counts c;
	struct ms_err err = { "" };
	enum ms_status st;
	long v;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i],
			   *next = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = true;

		if (strcmp(a, "--watch") == 0) {
			o.watch = true;
			continue;
		}
		if (next == NULL) {
			ok = false;
		} else if (strcmp(a, "--queue") == 0) {
			o.queue_url = next;
		} else if (strcmp(a, "--region") == 0) {
			o.region = next;
		} else if (strcmp(a, "--endpoint") == 0) {
			o.endpoint = next;
		} else if (strcmp(a, "--credentials") == 0) {
			o.credentials = next;
		} else if (strcmp(a, "--ca-file") == 0) {
			o.ca_file = next;
		} else if (strcmp(a, "--wait") == 0 &&
		    num_arg(next, 0, 20, &v)) {
			o.wait = (int)v;
		} else if (strcmp(a, "--max") == 0 &&
		    num_arg(next, 1, 10, &v)) {
			o.max = (int)v;
		} else if (strcmp(a, "--visibility") == 0 &&
		    num_arg(next, 0, 43200, &v)) {
			o.visibility = (int)v;
		} else if (strcmp(a, "--max-records") == 0 &&
		    num_arg(next, 1, 100000000, &v)) {
			o.max_records = (size_t)v;
		} else {
			ok = false;
		}
		if (!ok) {
			log_err(
			    "pull: bad argument \"%.40s\" (%s)", a, pull_usage);
			return 64;
		}
		i++;
	}
	if (o.queue_url == NULL) {
		log_err("pull: --queue URL is required (%s)", pull_usage);
		return 64;
	}
	st = pull_run(conf, &o, &c, &err);
	if (st != MS_OK)
		log_err("%s", err.msg);
	return ms_exitcode(st);
}
