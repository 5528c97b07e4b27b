/*
 * smtpd_args.c - the arguments of "sendmail -bs" commands: the keyword
 *                after MAIL and RCPT, the path in <>, the ESMTP
 *                parameters after it, and the checks their values need.
 *                Pure string work on the caller's line, edited in place.
 *
 * API:    smtpd_after_keyword(), smtpd_split_path(), smtpd_next_param(),
 *         smtpd_all_digits(), smtpd_printable() (smtpd_args.h).
 * Trust:  the line is untrusted and already bounded (SMTPD_MAX_LINE);
 *         nothing here reads past its NUL.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "smtpd_args.h"

/* "FROM:" / "TO:" after the verb, case-insensitive; returns the rest. */
char *
smtpd_after_keyword(char *arg, const char *kw)
{
	size_t n = strlen(kw);

	if (strncasecmp(arg, kw, n) != 0)
		return NULL;
	arg += n;
	while (*arg == ' ')
		arg++;
	return arg;
}

/* Splits "<addr> params" (or "addr params"); *addr and *params point
 * into the line. False for a syntax error. */
bool
smtpd_split_path(char *arg, char **addr, char **params)
{
	char *end;

	if (*arg == '<') {
		bool quoted = false;

		for (end = arg + 1; *end != '\0'; end++) {
			if (*end == '\\' && end[1] != '\0')
				end++;
			else if (*end == '"')
				quoted = !quoted;
			else if (*end == '>' && !quoted)
				break;
		}
		if (*end != '>')
			return false;
		*end++ = '\0';
		*addr = arg + 1;
		/* an obsolete source route "@a,@b:x@y" */
		if (**addr == '@') {
			char *colon = strchr(*addr, ':');

			if (colon == NULL)
				return false;
			*addr = colon + 1;
		}
	} else {
		end = arg + strcspn(arg, " ");
		if (*end != '\0')
			*end++ = '\0';
		*addr = arg;
		if (**addr == '\0')
			return false;
	}
	if (*end != '\0' && *end != ' ')
		return false;
	while (*end == ' ')
		end++;
	*params = end;
	return true;
}

/* Next "KEY=VALUE" parameter; false when none is left. */
bool
smtpd_next_param(char **params, char **key, char **val)
{
	char *p = *params, *eq;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return false;
	*key = p;
	p += strcspn(p, " ");
	if (*p != '\0')
		*p++ = '\0';
	*params = p;
	eq = strchr(*key, '=');
	*val = eq != NULL ? eq + 1 : NULL;
	if (eq != NULL)
		*eq = '\0';
	return true;
}

bool
smtpd_all_digits(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

bool
smtpd_printable(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 100)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}
