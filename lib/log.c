/*
 * log.c - one place that writes log lines: syslog facility mail, and a
 *         copy on stderr for terminals and -v.
 *
 * API:    see log.h.
 * Env:    MAILSHIM_LOG_STDERR=1 copies every line to stderr (tests use it
 *         instead of reading the system log).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "mailshim";
static bool log_stderr;
static int log_level;

void
log_open(const char *progname, bool to_stderr)
{
	const char *env = getenv("MAILSHIM_LOG_STDERR");

	log_prog = progname;
	log_stderr = to_stderr || (env != NULL && strcmp(env, "1") == 0);
	openlog("mailshim", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_verbose(int level)
{
	log_level = level;
	if (level > 0)
		log_stderr = true;
}

int
log_get_verbose(void)
{
	return log_level;
}

static void
log_vwrite(int priority, const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	syslog(priority, "%s", line);
	if (log_stderr)
		fprintf(stderr, "%s: %s\n", log_prog, line);
}

void
log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(priority, fmt, ap);
	va_end(ap);
}

void
log_verbose(const char *fmt, ...)
{
	va_list ap;

	if (log_level <= 0)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", log_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
