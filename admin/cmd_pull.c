/*
 * cmd_pull.c - `mailshim pull [--queue URL | --name NAME] [--watch]
 *              [--region R] [--endpoint URL] [--credentials SRC]
 *              [--wait S] [--max N] [--visibility S] [--max-records N]`:
 *              takes what `sqs` relays handed to an SQS queue into this
 *              host's spool (flush/pull.h); `mailshim flush` delivers it
 *              from there. Without --queue, every `pull` block of the
 *              configuration (or the one --name names); with --watch and
 *              several blocks, one child process per queue.
 *
 * API:    cmd_pull().
 * Trust:  runs as the mailshim user (it writes the spool and its run/).
 * Errors: 0 everything received was written (or was a copy) and deleted;
 *         75 something was left in the queue or SQS was unreachable;
 *         64 usage; 78 configuration.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "log.h"
#include "pull.h"

static const char pull_usage[] =
    "usage: mailshim pull [--queue URL | --name NAME] [--watch] [--region R] "
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

/* The options of a `pull` block, the command line's taking precedence. */
static void
opts_of(const struct pull_conf *pc, const struct pull_opts *cli,
    struct pull_opts *o)
{
	*o = *cli;
	o->queue_url = pc->queue_url;
	if (o->region == NULL)
		o->region = pc->region;
	if (o->endpoint == NULL)
		o->endpoint = pc->endpoint;
	if (o->credentials == NULL)
		o->credentials = pc->credentials;
	if (o->ca_file == NULL)
		o->ca_file = pc->ca_file;
	if (o->visibility == 0)
		o->visibility = (int)pc->visibility_timeout;
	if (o->max_records == 0)
		o->max_records = (size_t)pc->max_records;
}

static int
pull_one(const struct ms_conf *conf, const struct pull_conf *pc,
    const struct pull_opts *cli)
{
	struct pull_opts o;
	struct pull_counts c;
	struct ms_err err = { "" };
	enum ms_status st;

	opts_of(pc, cli, &o);
	st = pull_run(conf, &o, &c, &err);
	if (st != MS_OK)
		log_err("pull %s: %s", pc->name,
		    err.msg + (strncmp(err.msg, "pull: ", 6) == 0 ? 6 : 0));
	return ms_exitcode(st);
}

static volatile sig_atomic_t parent_stop;

static void
on_parent_stop(int sig)
{
	(void)sig;
	parent_stop = 1;
}

/* Every configured queue (or the one named): in turn, or with --watch
 * each in a child of its own until SIGTERM. Exit: the worst child's. */
static int
pull_blocks(
    const struct ms_conf *conf, const struct pull_opts *cli, const char *name)
{
	pid_t kids[64];
	int nkids = 0, worst = 0, n = 0;
	struct sigaction sa;

	for (int i = 0; i < conf->npulls; i++)
		if (name == NULL || strcmp(conf->pulls[i].name, name) == 0)
			n++;
	if (n == 0) {
		log_err(name ? "pull: no pull \"%s\" block in the "
			       "configuration"
			     : "pull: give --queue URL or configure pull "
			       "blocks%s",
		    name ? name : "");
		return 64;
	}
	if (!cli->watch || n == 1) {
		for (int i = 0; i < conf->npulls; i++) {
			int rc;

			if (name != NULL && strcmp(conf->pulls[i].name, name))
				continue;
			rc = pull_one(conf, &conf->pulls[i], cli);
			if (rc > worst)
				worst = rc;
		}
		return worst;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_parent_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (int i = 0; i < conf->npulls && nkids < 64; i++) {
		pid_t pid;

		if (name != NULL && strcmp(conf->pulls[i].name, name))
			continue;
		if ((pid = fork()) < 0) {
			log_err("pull: fork: %s", strerror(errno));
			worst = 71;
			break;
		}
		if (pid == 0)
			_exit(pull_one(conf, &conf->pulls[i], cli));
		kids[nkids++] = pid;
	}
	for (int left = nkids; left > 0;) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);

		if (pid < 0 && errno == EINTR) {
			if (parent_stop)
				for (int k = 0; k < nkids; k++)
					kill(kids[k], SIGTERM);
			continue;
		}
		if (pid < 0)
			break;
		left--;
		if (WIFEXITED(status) && WEXITSTATUS(status) > worst)
			worst = WEXITSTATUS(status);
		else if (!WIFEXITED(status) && worst < 75)
			worst = 75;
	}
	return worst;
}

int
cmd_pull(const struct ms_conf *conf, int argc, char **argv)
{
	struct pull_opts o = { .wait = -1 };
	struct pull_counts c;
	struct ms_err err = { "" };
	enum ms_status st;
	const char *name = NULL;
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
		} else if (strcmp(a, "--name") == 0) {
			name = next;
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
	if (o.queue_url != NULL) {
		st = pull_run(conf, &o, &c, &err);
		if (st != MS_OK)
			log_err("%s", err.msg);
		return ms_exitcode(st);
	}
	return pull_blocks(conf, &o, name);
}
