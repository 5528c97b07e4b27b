/*
 * cmd_check.c - `mailshim check`: the operator's doctor. One line per
 *               check, "OK", "WARN" or "FAIL", each failure with how to
 *               fix it; exit 0 when nothing failed, 78 otherwise.
 *
 * Checks: the configuration (loaded before we get here), the spool's
 *         layout, owners and modes, the aliases file, every secret file
 *         the config names (private, readable), and every relay: a probe
 *         that connects, negotiates TLS and authenticates without sending
 *         mail (skipped with --no-network; --config-only checks only the
 *         configuration and the aliases). For each `ses` relay, SES v2
 *         GetAccount when its credentials are AWS keys: one table row
 *         with the region, transport, whether the credentials work,
 *         sandbox, sending paused, enforcement status, 24-hour quota,
 *         usage and maximum rate (check_account.c); then
 *         GetEmailIdentity for every identity the routes send as
 *         through it (check_identity.c).
 * Trust:  never prints a secret: only where it comes from.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "aliases.h"
#include "cmd_check.h"
#include "conf.h"
#include "log.h"
#include "pull.h"
#include "relay.h"
#include "relay_ses.h"
#include "secret.h"
#include "ticket.h"
#include "spool.h"

struct tally {
	int fails, warns;
};

static void
line(struct tally *t, const char *level, const char *what, const char *text)
{
	if (strcmp(level, "FAIL") == 0)
		t->fails++;
	else if (strcmp(level, "WARN") == 0)
		t->warns++;
	printf("%-4s  %s: %s\n", level, what, text);
	fflush(stdout);
}

static void
report_line(void *arg, const char *level, const char *what, const char *text)
{
	line(arg, level, what, text);
}

static void
spool_problem(const char *problem, void *arg)
{
	char text[4600];

	snprintf(text, sizeof(text), "%s (fix: run `mailshim init` as root)",
	    problem);
	line(arg, "FAIL", "spool", text);
}

/* Files set aside as damaged (dead/NAME.bad) wait for a human: WARN. */
static void
check_set_aside(const struct ms_conf *conf, struct tally *t)
{
	struct spool s;
	struct ms_err err;
	char **names, text[600];
	size_t n;

	if (spool_open(&s, conf->spool, &err) != MS_OK)
		return; /* spool_verify said why */
	if (spool_list_bad(&s, &names, &n, &err) != MS_OK) {
		line(t, "WARN", "spool", err.msg);
	} else if (n > 0) {
		snprintf(text, sizeof(text),
		    "%zu file%s set aside as damaged in %.400s/dead "
		    "(see `mailshim dead`; `mailshim requeue ID` brings back a "
		    "message whose envelope reads)",
		    n, n == 1 ? "" : "s", conf->spool);
		line(t, "WARN", "spool", text);
	}
	if (n > 0)
		spool_free_names(names, n);
	spool_close(&s);
}

static void
check_spool(const struct ms_conf *conf, struct tally *t)
{
	struct spool s;
	struct spool_tmp_usage u;
	struct ms_err err;
	char text[256];

	if (spool_verify(
		conf->spool, MS_USER, MS_DROP_GROUP, spool_problem, t) == 0) {
		line(t, "OK", "spool", conf->spool);
		check_set_aside(conf, t);
	}
	if (spool_open(&s, conf->spool, &err) != MS_OK)
		return;
	spool_tmp_usage(&s, &u);
	spool_close(&s);
	snprintf(text, sizeof(text),
	    "%zu files, %lld bytes in tmp/ (%zu unchanged for 10 min: left "
	    "by killed front ends, removed by the next flush)",
	    u.files, u.bytes, u.stale);
	line(t, u.stale > 0 ? "WARN" : "OK", "spool tmp", text);
}

struct alias_arg {
	struct tally *t;
	int problems;
};

static void
alias_problem(
    const char *file, int lineno, bool error, const char *msg, void *arg)
{
	struct alias_arg *a = arg;
	char text[1200];

	snprintf(text, sizeof(text), "%s:%d: %s", file, lineno, msg);
	line(a->t, error ? "FAIL" : "WARN", "aliases", text);
	a->problems++;
}

static void
check_aliases(const struct ms_conf *conf, struct tally *t)
{
	struct alias_arg a = { .t = t };
	struct aliases *al = NULL;
	struct ms_err err;
	char text[1200];

	if (conf->aliases == NULL)
		return;
	if (aliases_load_report(&al, conf->aliases, alias_problem, &a, &err) !=
	    MS_OK) {
		line(t, "FAIL", "aliases", err.msg);
		return;
	}
	aliases_check(al, conf->domain, conf->hostname, conf->catchall,
	    alias_problem, &a);
	if (a.problems == 0) {
		snprintf(text, sizeof(text), "%s: %zu aliases", conf->aliases,
		    aliases_count(al));
		line(t, "OK", "aliases", text);
	}
	aliases_free(al);
}

/* file: and env: sources are checked here; the AWS ones need the network
 * and are exercised by the relay probe. */
static void
check_secret(const struct relay_conf *rc, const char *key, const char *spec,
    struct tally *t)
{
	struct secret s = { 0 };
	struct ms_err err;
	char what[300], text[1000];

	if (spec == NULL ||
	    (strncmp(spec, "file:", 5) != 0 && strncmp(spec, "env:", 4) != 0))
		return;
	snprintf(what, sizeof(what), "relay %s %s", rc->name, key);
	if (secret_load(spec, &s, &err) == MS_OK) {
		snprintf(
		    text, sizeof(text), "%.200s is private and readable", spec);
		line(t, "OK", what, text);
	} else {
		line(t, "FAIL", what, err.msg);
	}
	secret_free(&s);
}

/* from_parameter: the ticket is read (from AWS only when the network may
 * be used) and what it gives is shown, never the password. */
static void
check_ticket(const struct relay_conf *rc, bool network, struct tally *t)
{
	struct ticket tk;
	struct ms_err err = { "" };
	char what[300], text[1000], port[40];
	const char *spec = rc->from_parameter;

	if (spec == NULL ||
	    (!network && strncmp(spec, "file:", 5) != 0 &&
		strncmp(spec, "env:", 4) != 0))
		return;
	snprintf(what, sizeof(what), "relay %s from_parameter", rc->name);
	if (ticket_load(rc, &tk, &err) != MS_OK) {
		line(t, "FAIL", what, err.msg);
		return;
	}
	if (tk.port != 0)
		snprintf(port, sizeof(port), "%ld", tk.port);
	else
		snprintf(port, sizeof(port), "(config's or default)");
	snprintf(text, sizeof(text),
	    "%.200s gives host %.200s, port %s, user %.100s, password %s", spec,
	    tk.host != NULL ? tk.host : "(from the config)", port,
	    tk.user != NULL ? tk.user : "(from the config)",
	    tk.pass.value != NULL ? "(set)" : "(from the config)");
	line(t, "OK", what, text);
	ticket_free(&tk);
}

static void
check_relay(const struct ms_conf *conf, const struct relay_conf *rc,
    bool network, struct ses_table *tab, struct tally *t)
{
	struct relay *r = NULL;
	struct ms_err err = { "" };
	char what[300], text[1200];
	bool login_ok = false;

	check_secret(rc, "password", rc->password, t);
	check_secret(rc, "credentials", rc->credentials, t);
	check_secret(rc, "tls_key", rc->tls_key, t);
	check_secret(rc, "client_secret", rc->client_secret, t);
	check_secret(
	    rc, "oauth2_service_account", rc->oauth2_service_account, t);
	check_secret(rc, "oauth2_token", rc->oauth2_token, t);
	check_ticket(rc, network, t);
	snprintf(what, sizeof(what), "relay %s", rc->name);
	if (relay_new(&r, rc, conf, &err) != MS_OK) {
		line(t, "FAIL", what, err.msg);
		return;
	}
	if (network && rc->type == RELAY_SES && rc->transport == SES_API) {
		/* The API relay's probe is GetAccount: the table says it. */
		(void)check_ses_account(r, true, tab, report_line, t);
		check_ses_identities(conf, r, report_line, t);
		relay_free(r);
		return;
	}
	if (!network || r->ops->probe == NULL) {
		snprintf(text, sizeof(text), "%s relay configured%s",
		    r->ops->type, network ? "" : " (not contacted)");
		line(t, "OK", what, text);
	} else if (r->ops->probe(r, &err) == MS_OK) {
		login_ok = true;
		snprintf(text, sizeof(text),
		    "reachable, TLS and login work%s%s", err.msg[0] ? ": " : "",
		    err.msg);
		line(t, "OK", what, text);
	} else {
		snprintf(text, sizeof(text),
		    "%s (fix: check host, port, tls, "
		    "ca_file and credentials; mail to it stays queued)",
		    err.msg);
		line(t, "FAIL", what, text);
	}
	if (network && rc->type == RELAY_SES) {
		check_ses_account(r, login_ok, tab, report_line, t);
		check_ses_identities(conf, r, report_line, t);
	}
	relay_free(r);
}

/* A pull block's queue: depth, redrive policy and the DLQ's depth. */
static void
check_pull(const struct pull_conf *pc, bool network, struct tally *t)
{
	struct pull_opts o = { .queue_url = pc->queue_url,
		.region = pc->region,
		.endpoint = pc->endpoint,
		.credentials = pc->credentials,
		.ca_file = pc->ca_file };
	struct pull_report rep;
	struct ms_err err = { "" };
	char what[300], text[1200];

	snprintf(what, sizeof(what), "pull %s", pc->name);
	if (!network) {
		line(t, "OK", what, "SQS queue configured (not contacted)");
		return;
	}
	if (pull_inspect(&o, &rep, &err) != MS_OK) {
		snprintf(text, sizeof(text),
		    "%s (fix: check queue_url, region, endpoint and "
		    "credentials; sqs:GetQueueAttributes is needed)",
		    err.msg);
		line(t, "FAIL", what, text);
		return;
	}
	if (!rep.redrive) {
		snprintf(text, sizeof(text),
		    "queue %s: %ld waiting, %ld in flight; no redrive policy: "
		    "a message that cannot be written stays until its "
		    "retention (%lds) ends (fix: give the queue a dead-letter "
		    "queue)",
		    rep.name, rep.visible, rep.in_flight, rep.retention);
		line(t, "WARN", what, text);
		return;
	}
	if (rep.dlq_visible < 0)
		snprintf(text, sizeof(text),
		    "queue %s: %ld waiting, %ld in flight; redrive to %s "
		    "after maxReceiveCount %ld; dead-letter queue unreadable: "
		    "%.400s",
		    rep.name, rep.visible, rep.in_flight, rep.dlq,
		    rep.max_receive, rep.dlq_error);
	else
		snprintf(text, sizeof(text),
		    "queue %s: %ld waiting, %ld in flight; redrive to %s "
		    "after maxReceiveCount %ld; dead-letter queue %s: %ld "
		    "message(s)",
		    rep.name, rep.visible, rep.in_flight, rep.dlq,
		    rep.max_receive, rep.dlq, rep.dlq_visible);
	line(t, rep.dlq_visible == 0 ? "OK" : "WARN", what, text);
}

int
cmd_check(const struct ms_conf *conf, int argc, char **argv)
{
	bool network = true, config_only = false;
	struct tally t = { 0 };
	struct ses_table tab = { NULL, 0 };
	char text[600];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--no-network") == 0)
			network = false;
		else if (strcmp(argv[i], "--config-only") == 0)
			config_only = true;
		else {
			log_err("usage: mailshim check [--no-network | "
				"--config-only]");
			return 64;
		}
	}
	snprintf(text, sizeof(text), "%.400s: %d relays, %d routes",
	    conf->path != NULL ? conf->path : "(built-in defaults)",
	    conf->nrelays, conf->nroutes);
	line(&t, "OK", "config", text);
	if (conf->nroutes == 0 || conf->routes[conf->nroutes - 1].nsenders > 0)
		line(&t, "WARN", "config",
		    "no default route: mail from "
		    "senders no route matches stays queued");
	check_aliases(conf, &t);
	if (!config_only) {
		check_spool(conf, &t);
		if (conf->nrelays > 0)
			tab.rows =
			    calloc((size_t)conf->nrelays, sizeof(*tab.rows));
		if (conf->nrelays > 0 && tab.rows == NULL) {
			line(&t, "FAIL", "check", "out of memory");
			network = false;
		}
		for (int i = 0; i < conf->nrelays; i++)
			check_relay(conf, &conf->relays[i], network, &tab, &t);
		for (int i = 0; i < conf->npulls; i++)
			check_pull(&conf->pulls[i], network, &t);
		check_print_ses_table(&tab);
		free(tab.rows);
	}
	printf("%d failed, %d warnings\n", t.fails, t.warns);
	return t.fails > 0 ? 78 : 0;
}
