/*
 * main.c - `mailshim`: the flusher and admin tool. Parses the global
 *          options, loads the configuration, runs one subcommand (one
 *          file per command beside this one, declared in admin.h).
 *
 * Usage:  mailshim [-C FILE] [-v] COMMAND [ARGS]   (see usage() below and
 *         mailshim(8)).
 * Trust:  not set-id; runs as the mailshim user (flush) or as root/an
 *         operator (the tools). Reads credentials only when delivering.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "admin.h"
#include "conf.h"
#include "log.h"

static const char usage_text[] =
    "usage: mailshim [-C FILE] [-v] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  init                 create the spool with its owners and modes\n"
    "  flush [--watch]      deliver what is due (--watch: keep running)\n"
    "        [--workers N]\n"
    "  pull --queue URL [--watch]\n"
    "                       take mail handed to an SQS queue into the spool\n"
    "  queue [--json]       list queued mail (also: mailq, sendmail -bp)\n"
    "  show ID              print one message with its envelope and state\n"
    "  retry [ID...]        make messages due now (all: also lift holds)\n"
    "  delete ID...         remove queued or dead messages\n"
    "  dead [--json]        list dead letters with their reasons\n"
    "  requeue ID...        move dead letters back into the queue\n"
    "  newaliases           check the aliases file\n"
    "  check [--no-network] check config, spool, secrets, aliases, relays\n"
    "  stats [--prometheus [FILE]] [--reset]\n"
    "                       queue size, oldest message, per-relay counters\n"
    "  ses-password --region R   derive an SES SMTP password (key on stdin)\n"
    "\n"
    "Options:\n"
    "  -C FILE      configuration file (default " MS_DEFAULT_CONF ",\n"
    "               or $MAILSHIM_CONFIG)\n"
    "  -v           verbose: log to stderr, protocol details\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 done; 75 something was deferred or is busy (try again);\n"
    "64 usage; 78 configuration; see mailshim(8).\n";

static int
usage(FILE *fp, int code)
{
	fputs(usage_text, fp);
	return code;
}

static int
fail(enum ms_status st, const struct ms_err *err)
{
	if (st != MS_OK)
		log_err("%s", err->msg);
	return ms_exitcode(st);
}

static bool
has_flag(int argc, char **argv, const char *flag)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return true;
	return false;
}

static int
dispatch(const struct ms_conf *conf, const char *cmd, int argc, char **argv)
{
	struct ms_err err = { "" };
	enum ms_status st;

	if (strcmp(cmd, "init") == 0)
		return cmd_init(conf);
	/* The commands that write to the spool act as its owner, whoever
	 * runs them (check, stats and newaliases only read it). */
	if (strcmp(cmd, "check") != 0 && strcmp(cmd, "stats") != 0 &&
	    strcmp(cmd, "newaliases") != 0 &&
	    (st = admin_drop_to_spool_owner(conf, &err)) != MS_OK)
		return fail(st, &err);
	if (strcmp(cmd, "flush") == 0)
		return cmd_flush(conf, argc, argv);
	if (strcmp(cmd, "pull") == 0)
		return cmd_pull(conf, argc, argv);
	if (strcmp(cmd, "newaliases") == 0)
		return cmd_newaliases(conf, argc, argv);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(conf, argc, argv);
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(conf, argc, argv);
	if (strcmp(cmd, "queue") == 0)
		st = cmd_queue(conf, has_flag(argc, argv, "--json"), &err);
	else if (strcmp(cmd, "dead") == 0)
		st = cmd_dead(conf, has_flag(argc, argv, "--json"), &err);
	else if (strcmp(cmd, "show") == 0)
		st = cmd_show(conf, argc, argv, &err);
	else if (strcmp(cmd, "retry") == 0)
		st = cmd_retry(conf, argc, argv, &err);
	else if (strcmp(cmd, "delete") == 0)
		st = cmd_delete(conf, argc, argv, &err);
	else if (strcmp(cmd, "requeue") == 0)
		st = cmd_requeue(conf, argc, argv, &err);
	else {
		log_err("unknown command \"%.40s\" (see mailshim --help)", cmd);
		return 64;
	}
	return fail(st, &err);
}

/* Every command's output ends here: a listing that could not be written
 * whole (a full disk, a closed pipe, /dev/full) is an error, never exit
 * 0. stdout's error flag is sticky, so one check covers every printf,
 * and the final flush and close are checked too. */
static int
finish_stdout(int rc)
{
	bool failed;
	int e;

	errno = 0;
	failed = fflush(stdout) != 0;
	e = errno;
	failed |= ferror(stdout) != 0;
	if (fclose(stdout) != 0 && !failed) {
		failed = true;
		e = errno;
	}
	if (!failed)
		return rc;
	log_err("cannot write to standard output: %s",
	    e != 0 ? strerror(e) : "write error");
	return rc != 0 ? rc : ms_exitcode(MS_IOERR);
}

static int run(int argc, char **argv);

int
main(int argc, char **argv)
{
	return finish_stdout(run(argc, argv));
}

static int
run(int argc, char **argv)
{
	const char *conf_path = getenv("MAILSHIM_CONFIG");
	struct ms_conf conf;
	struct ms_err err;
	int i, verbose = 0, rc;

	/* libcurl allocates ~192 KiB of buffers per transfer; above glibc's
	 * default 128 KiB trim threshold they went back to the kernel after
	 * every message and faulted in again for the next (bench/RESULTS.md:
	 * 12% of the flusher's CPU). Keep up to 4 MiB instead. Setting any
	 * of these also freezes glibc's mmap threshold at 128 KiB, exactly
	 * the size of SMTP's escape buffer: once the heap's top was in use
	 * (a long listing) it was mmapped and unmapped for every message,
	 * each unmap a TLB shootdown across the flusher's threads. Buffers
	 * under 1 MiB come from the heap, and are reused. */
	mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TOP_PAD, 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	log_open("mailshim", isatty(STDERR_FILENO));
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return usage(stdout, 0);
		if (strcmp(argv[i], "--version") == 0) {
			printf("mailshim %s\n", PACKAGE_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "-v") == 0)
			verbose++;
		else if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			conf_path = argv[++i];
		else
			return usage(stderr, 64);
	}
	if (i >= argc)
		return usage(stderr, 64);
	log_set_verbose(verbose);
	/* ses-password needs no configuration at all. */
	if (strcmp(argv[i], "ses-password") == 0)
		return cmd_ses_password(argc - i, argv + i);
	if (has_flag(argc - i - 1, argv + i + 1, "--help"))
		return usage(stdout, 0);
	if (conf_load(&conf, conf_path, conf_path != NULL, &err) != MS_OK) {
		log_err("%s", err.msg);
		return ms_exitcode(MS_CONFIG);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = dispatch(&conf, argv[i], argc - i - 1, argv + i + 1);
	curl_global_cleanup();
	conf_free(&conf);
	return rc;
}
