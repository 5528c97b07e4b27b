/*
 * log.c - one place that writes log lines: syslog facility mail, and a
 *         copy on stderr for terminals and -v.
 *
 * API:    see log.h.
 * Env:    MAILSHIM_LOG_STDERR=1 copies every line to stderr (tests use it
 *         instead of reading the system log).
 * Socket: lines are offered to syslog only while /dev/log is a socket.
 *         Where it is not (a container without a syslog daemon), glibc's
 *         syslog() would try to connect again for every line (socket,
 *         connect, close, getpid: 8 of a delivery's 44 system calls, for
 *         lines that go nowhere); instead /dev/log is looked at again at
 *         most once a second, so a syslog daemon started later is used
 *         from then on. A socket nobody listens on still costs the retry.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "ms.h"

static const char *log_prog = "mailshim";
static bool log_stderr;
static int log_level;

#define SYSLOG_SOCKET  "/dev/log" /* glibc's _PATH_LOG */
#define SYSLOG_LOOK_MS 1000	  /* while it is not there */

static bool syslog_up;		   /* /dev/log was a socket */
static long long syslog_next_look; /* CLOCK_MONOTONIC ms */

/* Whether to hand lines to syslog(): once /dev/log was a socket, always
 * (glibc reconnects by itself); before, after a look at most once a
 * second. */
static bool
syslog_there(void)
{
	struct stat sb;
	long long now;

	if (syslog_up)
		return true;
	now = ms_monotonic_ms();
	if (syslog_next_look != 0 && now < syslog_next_look)
		return false;
	syslog_next_look = now + SYSLOG_LOOK_MS;
	syslog_up = stat(SYSLOG_SOCKET, &sb) == 0 && S_ISSOCK(sb.st_mode);
	return syslog_up;
}

void
log_open(const char *progname, bool to_stderr)
{
	const char *env = getenv("MAILSHIM_LOG_STDERR");

	log_prog = progname;
	log_stderr = to_stderr || (env != NULL && strcmp(env, "1") == 0);
	/* Connects now only when there is something to connect to. */
	openlog(
	    "mailshim", LOG_PID | (syslog_there() ? LOG_NDELAY : 0), LOG_MAIL);
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
	if (syslog_there())
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
