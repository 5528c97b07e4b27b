/*
 * smtp_drive.c - test driver: sends a message file through the smtp relay
 *                transport (relay_smtp_ops) and prints each recipient's
 *                outcome, so integration tests can talk to tests/servers/
 *                smtpd.py without the rest of the flusher.
 *
 * Usage:  smtp_drive -C CONF -r RELAY [-f SENDER] [-n COUNT] [-w SECS]
 *                    [-p] [-v] MSGFILE RCPT...
 *         -n sends the same message COUNT times in one run (one relay, so
 *         connections are reused), -w waits SECS between them; -p probes
 *         instead of sending.
 * Output: per message: one line per recipient "ADDR STATUS REPLY", then
 *         "health=H peer=P remote_id=R connections=N".
 *         Exit 0 when every send returned MS_OK (whatever the results),
 *         1 on a driver error, 2 on a failed probe.
 * Trust:  a test tool; not installed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "msgsource.h"
#include "relay.h"
#include "smtp_session.h"

static const char *
health_name(enum relay_health h)
{
	return h == RELAY_FINE ? "fine" : h == RELAY_FAILED ? "failed" : "hold";
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: smtp_drive -C CONF -r RELAY [-f SENDER] "
	    "[-n COUNT] [-w SECS] [-p] [-v] MSGFILE RCPT...\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	const char *conf_path = NULL, *relay_name = NULL, *sender = "";
	struct ms_conf conf;
	struct relay r;
	struct relay_conf *rc;
	struct ms_err err = { "" };
	enum ms_status st;
	struct msg_source src;
	struct relay_msg msg;
	struct relay_rcpt *rcpts;
	struct stat sb;
	long count = 1, wait = 0;
	bool probe = false;
	int verbose = 0, c, fd, ret = 0;

	while ((c = getopt(argc, argv, "C:r:f:n:w:pv")) != -1) {
		switch (c) {
		case 'C': conf_path = optarg; break;
		case 'r': relay_name = optarg; break;
		case 'f': sender = optarg; break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'w': wait = strtol(optarg, NULL, 10); break;
		case 'p': probe = true; break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (conf_path == NULL || relay_name == NULL ||
	    (!probe && argc - optind < 2))
		usage();
	log_open("smtp_drive", true);
	log_set_verbose(verbose);
	memset(&conf, 0, sizeof(conf));
	st = conf_load(&conf, conf_path, true, &err);
	if (st != MS_OK) {
		fprintf(stderr, "smtp_drive: %s\n", err.msg);
		return 1;
	}
	rc = conf_relay_find(&conf, relay_name);
	if (rc == NULL) {
		fprintf(stderr, "smtp_drive: no relay %s\n", relay_name);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	r.conf = rc;
	r.global = &conf;
	r.ops = &relay_smtp_ops;
	r.runfd = -1; /* no spool: the token stays in this process */
	st = r.ops->init(&r, &err);
	if (st != MS_OK) {
		fprintf(stderr, "smtp_drive: init: %s\n", err.msg);
		return 1;
	}
	if (probe) {
		st = r.ops->probe(&r, &err);
		printf("probe=%s %s\n", ms_status_name(st),
		    st == MS_OK ? "" : err.msg);
		r.ops->destroy(&r);
		conf_free(&conf);
		return st == MS_OK ? 0 : 2;
	}
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		fprintf(stderr, "smtp_drive: %s: %s\n", argv[optind],
		    strerror(errno));
		return 1;
	}
	st = msg_source_open(&src, fd, NULL, 0, sb.st_size, NULL, true, &err);
	if (st != MS_OK) {
		fprintf(stderr, "smtp_drive: %s\n", err.msg);
		return 1;
	}
	rcpts = calloc((size_t)(argc - optind - 1), sizeof(*rcpts));
	if (rcpts == NULL)
		return 1;
	for (int i = optind + 1; i < argc; i++)
		rcpts[i - optind - 1].addr = argv[i];
	for (long k = 0; k < count; k++) {
		if (k > 0 && wait > 0)
			sleep((unsigned)wait);
		memset(&msg, 0, sizeof(msg));
		msg.qid = "DRIVE";
		msg.sender = sender;
		msg.rcpts = rcpts;
		msg.nrcpt = (size_t)(argc - optind - 1);
		msg.src = &src;
		st = r.ops->send(&r, &msg, &err);
		if (st != MS_OK) {
			printf("send=%s %s\n", ms_status_name(st), err.msg);
			ret = 1;
			continue;
		}
		for (size_t i = 0; i < msg.nrcpt; i++)
			printf("%s %s %s\n", rcpts[i].addr,
			    ms_status_name(rcpts[i].result), rcpts[i].reply);
		printf("health=%s peer=%s remote_id=%s connections=%ld\n",
		    health_name(msg.health), msg.peer, msg.remote_id,
		    smtp_session_connections(*(struct smtp_session **)r.priv));
		fflush(stdout);
	}
	r.ops->close(&r);
	r.ops->destroy(&r);
	msg_source_close(&src);
	close(fd);
	free(rcpts);
	conf_free(&conf);
	return ret;
}
