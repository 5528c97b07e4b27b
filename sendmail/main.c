/*
 * main.c - the sendmail front end: startup hygiene, personality by
 *          argv[0] (sendmail, mailq, newaliases), dispatch.
 *
 * Trust:  runs set-gid to the drop group. Descriptors 0-2 are made sure
 *         to be open, the umask is 077, and of the environment only
 *         MAILSHIM_CONFIG, NAME, MAILSHIM_LOG_STDERR and MAILSHIM_FLUSHER
 *         are read. A configuration named by the caller (-C or
 *         MAILSHIM_CONFIG) is loaded only after the group is dropped;
 *         the group is also dropped before the flusher is executed.
 *         Before the default (administrator's) configuration is loaded
 *         the environment is cleared but for TZ, since libconfuse
 *         expands ${VAR} in it: a caller must not choose its values.
 * Errors: one line "sendmail: ..." on stderr and the sysexits.h code.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "message.h"
#include "options.h"
#include "reader.h"
#include "smtpd.h"
#include "submit.h"

/* Opens /dev/null on any of 0, 1, 2 that is closed, so a file we open
 * later can never become stdout by accident. */
static bool
fds_open(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			return false;
	}
	return true;
}

/* "mailq" or "mailq.NAME" (the alternatives system installs our links
 * as mailq.mailshim, as Fedora's Postfix does). */
static bool
named(const char *base, const char *want)
{
	size_t n = strlen(want);

	return strncmp(base, want, n) == 0 &&
	    (base[n] == '\0' || base[n] == '.');
}

static enum sm_personality
personality(const char *argv0, const char **name)
{
	const char *base = argv0 != NULL ? strrchr(argv0, '/') : NULL;

	base = base != NULL ? base + 1 : (argv0 != NULL ? argv0 : "sendmail");
	if (named(base, "mailq")) {
		*name = "mailq";
		return SM_AS_MAILQ;
	}
	if (named(base, "newaliases")) {
		*name = "newaliases";
		return SM_AS_NEWALIASES;
	}
	*name = "sendmail";
	return SM_AS_SENDMAIL;
}

/* Gives up the set-gid group for good (real, effective and saved). */
static bool
drop_group(void)
{
	gid_t g = getgid();

	if (getegid() == g)
		return true;
	if (setresgid(g, g, g) != 0)
		return false;
	return getegid() == g;
}

/* -bp, -bi, -q, -qI, -qR: the flusher does the work. */
static int
run_flusher(const struct sm_opts *o, const char *config)
{
	const char *path = getenv("MAILSHIM_FLUSHER");
	const char *args[8];
	int n = 0;

	if (!drop_group()) {
		log_err("cannot drop the set-gid group: %s", strerror(errno));
		return ms_exitcode(MS_OSERR);
	}
	if (path == NULL || path[0] == '\0')
		path = MS_SBINDIR "/mailshim";
	args[n++] = "mailshim";
	if (config != NULL) {
		args[n++] = "-C";
		args[n++] = config;
	}
	switch (o->mode) {
	case SM_LIST: args[n++] = "queue"; break;
	case SM_NEWALIASES: args[n++] = "newaliases"; break;
	case SM_FLUSH: args[n++] = "flush"; break;
	default:
		args[n++] = "retry";
		if (o->retry_id != NULL)
			args[n++] = o->retry_id;
		break;
	}
	args[n] = NULL;
	fflush(NULL);
	execv(path, (char *const *)args);
	log_err("cannot run %s: %s", path, strerror(errno));
	return ms_exitcode(MS_OSERR);
}

/* --version, --help: stdout, exit 0 (74 when stdout cannot be written). */
static int
info(enum sm_mode mode, const char *progname)
{
	if (mode == SM_VERSION)
		printf("%s (mailshim) %s\n", progname, PACKAGE_VERSION);
	else
		printf("usage: %s [-t] [-i] [-f sender] [-F name] [-N dsn] "
		       "[-B type] [-C file] [-v] [-bm|-bs|-bp|-bi|-q] [--] "
		       "[recipient ...]\n"
		       "Reads a message on standard input and queues it for "
		       "mailshim(8); see mailshim-sendmail(8).\n",
		    progname);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_err("cannot write to standard output");
		return ms_exitcode(MS_IOERR);
	}
	return 0;
}

/* Clears the environment, keeping TZ (it only dates the caller's own
 * message). *name gets a copy of $NAME first (NULL when unset). */
static enum ms_status
clear_environment(char **name, struct ms_err *err)
{
	const char *n = getenv("NAME"), *tz = getenv("TZ");
	char *tzcopy = tz != NULL ? strdup(tz) : NULL;

	*name = n != NULL ? strdup(n) : NULL;
	if ((n != NULL && *name == NULL) || (tz != NULL && tzcopy == NULL))
		goto oom;
	if (clearenv() != 0) {
		free(tzcopy);
		return ms_err_set(
		    err, MS_OSERR, "cannot clear the environment");
	}
	if (tzcopy != NULL && setenv("TZ", tzcopy, 1) != 0)
		goto oom;
	free(tzcopy);
	return MS_OK;
oom:
	free(tzcopy);
	free(*name);
	*name = NULL;
	return ms_err_set(err, MS_TEMP, "out of memory");
}

/* Full name for an added From: -F, else $NAME (env_name), else GECOS
 * to ','. */
static char *
full_name(
    const struct sm_opts *o, const struct passwd *pw, const char *env_name)
{
	const char *name = o->fullname;

	if (name == NULL)
		name = env_name;
	if (name == NULL && pw->pw_gecos != NULL)
		return strndup(pw->pw_gecos, strcspn(pw->pw_gecos, ","));
	return strdup(name != NULL ? name : "");
}

static int
fail(enum ms_status st, const struct ms_err *err)
{
	log_err("%s", err->msg);
	return ms_exitcode(st);
}

/* Normal mode: envelope from argv, message from stdin. */
static enum ms_status
deliver(struct submit *s, const struct sm_opts *o, struct msg_params *p,
    struct rd *r, struct ms_err *err)
{
	struct msg_result res;
	enum ms_status st;

	st = submit_sender(s, o->sender_set ? o->sender : p->from_addr, err);
	if (st != MS_OK)
		return st;
	if (s->env.sender[0] != '\0')
		p->from_addr = s->env.sender;
	s->extract = o->extract;
	for (int i = 0; i < o->nrcpt; i++) {
		st = submit_rcpt_arg(s, o->rcpts[i], err);
		if (st != MS_OK)
			return st;
	}
	if (s->env.nrcpt == 0 && !o->extract)
		return ms_err_set(err, MS_USAGE,
		    "Recipient addresses must be "
		    "specified on the command line or via the -t option");
	if ((o->notify != NULL && (st = submit_opt(s, "N", o->notify, err))) ||
	    (o->ret != NULL && (st = submit_opt(s, "R", o->ret, err))) ||
	    (o->envid != NULL && (st = submit_opt(s, "V", o->envid, err))) ||
	    (o->body != NULL && (st = submit_opt(s, "B", o->body, err))))
		return st;
	p->end = o->ignore_dots ? MSG_EOF : MSG_DOT;
	log_verbose("sender <%s>, %zu recipient(s) from the command line%s",
	    s->env.sender, s->env.nrcpt,
	    o->extract ? ", more from the header (-t)" : "");
	return submit_message(s, r, p, &res, err);
}

int
main(int argc, char **argv)
{
	static struct rd rd;
	struct sm_opts o;
	struct ms_conf conf;
	struct ms_err err = { "" };
	struct submit s;
	struct msg_params p;
	struct passwd *pw;
	const char *progname, *config;
	char *login = NULL, *name = NULL, *dflt_from = NULL, *env_name = NULL;
	char submitter[160];
	enum sm_personality who;
	enum ms_status st;
	int rc;

	if (!fds_open())
		return ms_exitcode(MS_OSERR);
	umask(077);
	who = personality(argc > 0 ? argv[0] : NULL, &progname);
	log_open(progname, isatty(STDERR_FILENO));
	st = sm_options_parse(&o, argc, argv, who, &err);
	if (st != MS_OK)
		return fail(st, &err);
	if (o.mode == SM_VERSION || o.mode == SM_HELP)
		return info(o.mode, progname);
	for (int i = 0; i < o.nwarn; i++)
		log_err("warning: %s", o.warn[i]);
	if (o.verbose > 0)
		log_set_verbose(o.verbose);
	config = o.config;
	if (config == NULL) {
		config = getenv("MAILSHIM_CONFIG");
		if (config != NULL && config[0] == '\0')
			config = NULL;
	}
	if (config != NULL && !drop_group()) {
		log_err("cannot drop the set-gid group: %s", strerror(errno));
		return ms_exitcode(MS_OSERR);
	}
	if (o.mode == SM_FLUSH_NOOP)
		return 0;
	if (o.mode != SM_DELIVER && o.mode != SM_SMTP)
		return run_flusher(&o, config);

	if (config == NULL) {
		st = clear_environment(&env_name, &err);
		if (st != MS_OK)
			return fail(st, &err);
	} else {
		const char *n = getenv("NAME");

		if (n != NULL && (env_name = strdup(n)) == NULL)
			return fail(
			    ms_err_set(&err, MS_TEMP, "out of memory"), &err);
	}
	st = conf_load(&conf, config, config != NULL, &err);
	if (st != MS_OK) {
		free(env_name);
		return fail(st, &err);
	}
	errno = 0;
	pw = getpwuid(getuid());
	if (pw == NULL || pw->pw_name == NULL || pw->pw_name[0] == '\0') {
		log_err("no login name found for uid %ld", (long)getuid());
		conf_free(&conf);
		free(env_name);
		return ms_exitcode(MS_OSERR);
	}
	login = strdup(pw->pw_name);
	name = full_name(&o, pw, env_name);
	dflt_from = login != NULL ? addr_qualify(login, conf.domain) : NULL;
	if (login == NULL || name == NULL || dflt_from == NULL) {
		st = ms_err_set(&err, MS_TEMP, "out of memory");
		rc = fail(st, &err);
		goto out_nosubmit;
	}
	st = submit_init(&s, &conf, (long)getuid(), login, &err);
	if (st != MS_OK) {
		rc = fail(st, &err);
		goto out_nosubmit;
	}
	memset(&p, 0, sizeof(p));
	snprintf(submitter, sizeof(submitter), "from userid %ld, user %s",
	    (long)getuid(), login);
	p.limit = conf.max_message_size > 0 ? (size_t)conf.max_message_size : 0;
	p.hostname = conf.hostname;
	p.idle = conf.smtpd_idle_timeout;
	p.users = conf.smtpd_users;
	p.from_addr = dflt_from;
	p.from_name = name;
	p.domain = conf.domain;
	p.submitter = submitter;
	p.now = time(NULL);
	rd_init(&rd, NULL, (void *)(intptr_t)STDIN_FILENO);
	if (o.mode == SM_SMTP)
		st = smtpd_run(&s, &rd, &p, dflt_from, &err);
	else
		st = deliver(&s, &o, &p, &rd, &err);
	rc = st == MS_OK ? 0 : fail(st, &err);
	submit_free(&s);
out_nosubmit:
	free(env_name);
	free(login);
	free(name);
	free(dflt_from);
	conf_free(&conf);
	return rc;
}
