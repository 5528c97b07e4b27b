/*
 * options.h - the sendmail command line, parsed into a struct.
 *
 * API:    sm_options_parse().
 * Trust:  argv comes from anyone (web applications pass user text); the
 *         parser only points into argv and copies the sender, and it
 *         refuses CR/LF in values that could reach a header or the SMTP
 *         envelope.
 */
#ifndef SM_OPTIONS_H
#define SM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "ms.h"

enum sm_personality { SM_AS_SENDMAIL, SM_AS_MAILQ, SM_AS_NEWALIASES };

enum sm_mode {
	SM_DELIVER,    /* -bm, the default: read a message */
	SM_SMTP,       /* -bs */
	SM_LIST,       /* -bp, mailq */
	SM_NEWALIASES, /* -bi, -I, newaliases */
	SM_FLUSH,      /* -q */
	SM_FLUSH_NOOP, /* -q15m: a daemon interval, nothing to do */
	SM_RETRY,      /* -qI id, -qR site */
	SM_VERSION,    /* --version */
	SM_HELP,       /* --help */
};

#define SM_MAX_WARN 16

struct sm_opts {
	enum sm_mode mode;
	bool extract;		   /* -t */
	bool ignore_dots;	   /* -i, -oi */
	int verbose;		   /* -v, counted */
	bool sender_set;	   /* -f or -r given */
	char sender[ADDR_MAX + 1]; /* one pair of <> removed; "" = null */
	const char *fullname;	   /* -F */
	const char *config;	   /* -C */
	const char *notify;	   /* -N */
	const char *ret;	   /* -R */
	const char *envid;	   /* -V */
	const char *body;	   /* -B, upper case: "8BITMIME" or "7BIT" */
	const char *retry_id;	   /* -qI: the queue id; NULL = all */
	char **rcpts;		   /* points into argv */
	int nrcpt;
	char warn[SM_MAX_WARN][160]; /* lines for stderr, without prefix */
	int nwarn;
};

/* Parses argv the way Postfix's getopt string
 * "A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx" does, stopping at the
 * first non-option or after "--". Options sendmail had but mailshim does
 * not use are accepted with a warning in o->warn. "--version" and
 * "--help" (whole arguments, in option position) set SM_VERSION or
 * SM_HELP and end the parse, whatever else is given; any other "--word"
 * is ignored with a warning, never read as single letters. Returns MS_USAGE
 * with the reason for a missing value, a bad -B/-N/-R/-b/-q value, CR or LF in
 * -f/-r/-F or a recipient, recipients with -bp/-bi/-bs/-q, or -t outside
 * delivery mode. Does not check that recipients exist. */
enum ms_status sm_options_parse(struct sm_opts *o, int argc, char **argv,
    enum sm_personality who, struct ms_err *err);

#endif
