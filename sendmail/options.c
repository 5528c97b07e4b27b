/*
 * options.c - parse the sendmail command line (a pure function: no
 *             globals, no output; warnings are collected in the struct).
 *
 * API:    sm_options_parse().  Documented in options.h.
 * Trust:  argv is untrusted; values are checked for CR/LF before they
 *         can reach a header or the envelope.
 * Errors: MS_USAGE with one sentence.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "options.h"

/* Letters that take a value, from Postfix's getopt string. */
static const char with_value[] = "ABCFLNORVXbefhopqr";
/* Letters that are plain flags. */
static const char flags[] = "GIUcimntvx";

/* Records "text" followed by arg for a warning line. */
static void
warn(struct sm_opts *o, const char *text, const char *arg)
{
	if (o->nwarn >= SM_MAX_WARN)
		return;
	snprintf(o->warn[o->nwarn], sizeof(o->warn[0]), "%s%s", text, arg);
	o->nwarn++;
}

static bool
has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

static enum ms_status
set_sender(struct sm_opts *o, char c, const char *val, struct ms_err *err)
{
	size_t n = strlen(val);

	if (has_crlf(val))
		return ms_err_set(err, MS_USAGE,
		    "-%c: the address must not contain CR or LF", c);
	if (n >= 2 && val[0] == '<' && val[n - 1] == '>') {
		val++;
		n -= 2;
	}
	if (n > ADDR_MAX)
		return ms_err_set(err, MS_USAGE, "-%c: address too long", c);
	if (o->sender_set)
		warn(o, "more than one -f/-r sender given; using the last", "");
	memcpy(o->sender, val, n);
	o->sender[n] = '\0';
	o->sender_set = true;
	return MS_OK;
}

/* The -q value: "" flush, "I id" / "R site" retry, "15m" interval. */
static enum ms_status
set_queue(struct sm_opts *o, const char *val, int *argi, int argc, char **argv,
    struct ms_err *err)
{
	if (val[0] == '\0') {
		o->mode = SM_FLUSH;
		return MS_OK;
	}
	if (val[0] == 'I' || val[0] == 'R') {
		const char *arg = val + 1;

		if (*arg == '\0' && *argi + 1 < argc)
			arg = argv[++*argi];
		if (val[0] == 'I') {
			if (*arg == '\0')
				return ms_err_set(
				    err, MS_USAGE, "-qI needs a queue id");
			if (has_crlf(arg))
				return ms_err_set(
				    err, MS_USAGE, "-qI: bad queue id");
			o->retry_id = arg;
		}
		o->mode = SM_RETRY;
		return MS_OK;
	}
	if (val[0] >= '0' && val[0] <= '9') {
		size_t i = strspn(val, "0123456789smhdw");

		if (val[i] != '\0')
			return ms_err_set(err, MS_USAGE, "bad -q interval");
		o->mode = SM_FLUSH_NOOP;
		return MS_OK;
	}
	return ms_err_set(err, MS_USAGE, "unsupported -q option: -q%c", val[0]);
}

static bool
dsn_notify_ok(const char *v)
{
	char word[16];
	size_t n;

	if (strcasecmp(v, "never") == 0)
		return true;
	for (;;) {
		n = strcspn(v, ",");
		if (n == 0 || n >= sizeof(word))
			return false;
		memcpy(word, v, n);
		word[n] = '\0';
		if (strcasecmp(word, "success") != 0 &&
		    strcasecmp(word, "delay") != 0 &&
		    strcasecmp(word, "failure") != 0)
			return false;
		if (v[n] == '\0')
			return true;
		v += n + 1;
	}
}

static enum ms_status
with_arg(struct sm_opts *o, char c, const char *val, int *argi, int argc,
    char **argv, struct ms_err *err)
{
	switch (c) {
	case 'f':
	case 'r': return set_sender(o, c, val, err);
	case 'F':
		if (has_crlf(val))
			return ms_err_set(err, MS_USAGE,
			    "-F: the name must not contain CR or LF");
		o->fullname = val;
		return MS_OK;
	case 'C': o->config = val; return MS_OK;
	case 'B':
		if (strcasecmp(val, "8BITMIME") == 0)
			o->body = "8BITMIME";
		else if (strcasecmp(val, "7BIT") == 0)
			o->body = "7BIT";
		else
			return ms_err_set(err, MS_USAGE,
			    "-B: bad body type (use 7BIT or 8BITMIME)");
		return MS_OK;
	case 'N':
		if (!dsn_notify_ok(val))
			return ms_err_set(err, MS_USAGE,
			    "-N: use never, or a list of "
			    "success,delay,failure");
		o->notify = val;
		return MS_OK;
	case 'R':
		if (strcasecmp(val, "full") != 0 &&
		    strcasecmp(val, "hdrs") != 0)
			return ms_err_set(
			    err, MS_USAGE, "-R: use full or hdrs");
		o->ret = val;
		return MS_OK;
	case 'V':
		if (has_crlf(val) || strlen(val) > 100)
			return ms_err_set(err, MS_USAGE, "-V: bad envelope id");
		o->envid = val;
		return MS_OK;
	case 'b':
		if (val[0] == '\0' || val[1] != '\0')
			return ms_err_set(
			    err, MS_USAGE, "unsupported -b option");
		switch (val[0]) {
		case 'm': o->mode = SM_DELIVER; return MS_OK;
		case 's': o->mode = SM_SMTP; return MS_OK;
		case 'p': o->mode = SM_LIST; return MS_OK;
		case 'i': o->mode = SM_NEWALIASES; return MS_OK;
		default:
			return ms_err_set(err, MS_USAGE,
			    "unsupported -b option: -b%c", val[0]);
		}
	case 'q': return set_queue(o, val, argi, argc, argv, err);
	case 'o':
		if (val[0] == 'i' && val[1] == '\0')
			o->ignore_dots = true;
		else if (val[0] == 'e' || val[0] == 'd' ||
		    strcmp(val, "m") == 0)
			; /* error and delivery modes: we always queue */
		else
			warn(o, "ignoring option -o", val);
		return MS_OK;
	default: {
		char opt[3] = { '-', c, '\0' };

		warn(o, "ignoring option ", opt);
	}
		return MS_OK;
	}
}

enum ms_status
sm_options_parse(struct sm_opts *o, int argc, char **argv,
    enum sm_personality who, struct ms_err *err)
{
	enum ms_status st;
	int i;

	memset(o, 0, sizeof(*o));
	o->mode = who == SM_AS_MAILQ  ? SM_LIST
	    : who == SM_AS_NEWALIASES ? SM_NEWALIASES
				      : SM_DELIVER;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--version") == 0 || strcmp(a, "--help") == 0) {
			o->mode = a[2] == 'v' ? SM_VERSION : SM_HELP;
			return MS_OK;
		}
		if (a[1] == '-') {
			warn(o, "ignoring unknown option ", a);
			continue;
		}
		for (size_t j = 1; a[j] != '\0'; j++) {
			char c = a[j];

			if (strchr(with_value, c) != NULL) {
				const char *val = a + j + 1;

				if (*val == '\0' && c != 'q') {
					if (i + 1 >= argc)
						return ms_err_set(err, MS_USAGE,
						    "option -%c needs a value",
						    c);
					val = argv[++i];
				}
				st = with_arg(o, c, val, &i, argc, argv, err);
				if (st != MS_OK)
					return st;
				break; /* the value used the rest */
			}
			switch (c) {
			case 't': o->extract = true; break;
			case 'i': o->ignore_dots = true; break;
			case 'v': o->verbose++; break;
			case 'I': o->mode = SM_NEWALIASES; break;
			case 'm': break; /* "me too": always */
			default:
				if (strchr(flags, c) != NULL) {
					char opt[3] = { '-', c, '\0' };

					warn(o, "ignoring option ", opt);
				} else {
					char opt[3] = { '-', c, '\0' };

					warn(
					    o, "ignoring unknown option ", opt);
				}
			}
		}
	}
	o->rcpts = argv + i;
	o->nrcpt = argc - i;
	for (int k = 0; k < o->nrcpt; k++)
		if (has_crlf(o->rcpts[k]))
			return ms_err_set(err, MS_USAGE,
			    "recipient arguments must not contain CR or LF");
	if (o->mode != SM_DELIVER && o->nrcpt > 0) {
		static const char *names[] = { "", "-bs", "-bp", "-bi", "-q",
			"-q", "-q" };

		return ms_err_set(err, MS_USAGE,
		    "recipients cannot be given with %s", names[o->mode]);
	}
	if (o->extract && o->mode != SM_DELIVER)
		return ms_err_set(err, MS_USAGE,
		    "-t can only be used when sending a message");
	return MS_OK;
}
