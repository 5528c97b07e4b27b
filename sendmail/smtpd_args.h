/*
 * smtpd_args.h - the arguments of "sendmail -bs" commands (smtpd.c):
 *                keyword, path and ESMTP parameters, split in place.
 *
 * API:    smtpd_after_keyword(), smtpd_split_path(), smtpd_next_param(),
 *         smtpd_all_digits(), smtpd_printable().
 */
#ifndef MS_SMTPD_ARGS_H
#define MS_SMTPD_ARGS_H

#include <stdbool.h>

/* "FROM:" / "TO:" (kw) after the verb, case-insensitive: the rest of arg
 * with its leading spaces skipped, or NULL when kw is not there. */
char *smtpd_after_keyword(char *arg, const char *kw);

/* Splits "<addr> params" (or "addr params"); *addr and *params point
 * into arg, which is edited. An obsolete source route "@a,@b:" is
 * dropped. False for a syntax error. */
bool smtpd_split_path(char *arg, char **addr, char **params);

/* The next "KEY=VALUE" (or "KEY") of *params, split in place; *val is
 * NULL without '='. False when none is left. */
bool smtpd_next_param(char **params, char **key, char **val);

/* s is one or more decimal digits. */
bool smtpd_all_digits(const char *s);

/* s is 1-100 printable ASCII characters without spaces. */
bool smtpd_printable(const char *s);

#endif
