/*
 * log.h - syslog (facility mail, tag "mailshim") plus stderr when asked.
 *
 * API:    log_open(), log_msg(), log_verbose(), log_set_verbose().
 * Rules:  one line per event; never pass a secret or a message body.
 */
#ifndef MS_LOG_H
#define MS_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* progname prefixes stderr lines ("sendmail: ..."); to_stderr copies every
 * line to stderr (set when stderr is a terminal or with -v). */
void log_open(const char *progname, bool to_stderr);

/* Logs at priority (LOG_INFO, LOG_WARNING, LOG_ERR, ...). */
void log_msg(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Protocol chatter: only with -v (goes to stderr and LOG_DEBUG). */
void log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_verbose(int level);
int log_get_verbose(void);

/* Prints "progname: text" to stderr only (user-facing errors). */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
