/*
 * cmd_newaliases.c - `mailshim newaliases`: load and check the aliases
 *                    file, print every problem with its line.
 *
 * API:    cmd_newaliases().  Documented in cmd_newaliases.h.
 * Trust:  runs as the invoking user; reads only the aliases file.
 * Errors: exit codes as documented; problems go to stderr.
 *
 * mailshim keeps no aliases database: the flusher reads the file each
 * time it delivers, so this command only validates (sendmail's
 * newaliases builds aliases.db; here there is nothing to build).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "aliases.h"
#include "cmd_newaliases.h"

struct tally {
	int errors;
	int warnings;
};

static void
print_problem(
    const char *file, int line, bool error, const char *msg, void *arg)
{
	struct tally *t = arg;

	if (error)
		t->errors++;
	else
		t->warnings++;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: mailshim newaliases [FILE]\n"
	    "Checks the aliases file (default: the config's \"aliases\", "
	    "/etc/aliases)\nand prints each problem as FILE:LINE. mailshim "
	    "reads the file at delivery\ntime; there is no database to "
	    "rebuild.\n");
}

int
cmd_newaliases(const struct ms_conf *conf, int argc, char **argv)
{
	struct tally t = { 0, 0 };
	struct aliases *a = NULL;
	struct ms_err err;
	const char *path =
	    conf->aliases != NULL ? conf->aliases : "/etc/aliases";
	int i = 0;

	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	else if (i < argc &&
	    (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
		usage(stdout);
		return EX_OK;
	} else if (i < argc && argv[i][0] == '-' && argv[i][1] != '\0') {
		fprintf(stderr, "mailshim newaliases: unknown option %s\n",
		    argv[i]);
		usage(stderr);
		return EX_USAGE;
	}
	if (i < argc)
		path = argv[i++];
	if (i < argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (aliases_load_report(&a, path, print_problem, &t, &err) != MS_OK) {
		fprintf(stderr, "mailshim newaliases: %s\n", err.msg);
		return EX_CONFIG;
	}
	aliases_check(
	    a, conf->domain, conf->hostname, conf->catchall, print_problem, &t);
	printf("%s: %zu aliases", path, aliases_count(a));
	if (t.errors > 0 || t.warnings > 0)
		printf(", %d errors, %d warnings", t.errors, t.warnings);
	printf("\n");
	aliases_free(a);
	if (fflush(stdout) != 0)
		return EX_IOERR;
	return t.errors > 0 ? EX_CONFIG : EX_OK;
}
