/*
 * test_sm_options.c - the sendmail command line: real callers' command
 *                     lines (domain.md 7.5) and the usage errors.
 *
 * Each case: argv (space separated, "''" for an empty argument), the
 * personality, the wanted status and, for MS_OK, a summary string of
 * the parsed options that must match exactly.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "options.h"

struct tcase {
	const char *name;
	enum sm_personality who;
	const char *argv[16];
	enum ms_status want_status;
	const char *want; /* summary, see summarize() */
	int want_warn;
};

static const char *mode_names[] = {
    "deliver", "smtp", "list", "newaliases", "flush", "flush-noop", "retry",
    "version", "help"};

/* "mode t i f=<sender> F=name N= R= V= B= C= id= rcpt=a|b" */
static void
summarize(const struct sm_opts *o, char *out, size_t n)
{
	size_t len = 0;
	int r;

#define ADD(...)                                                               \
	do {                                                                   \
		r = snprintf(out + len, n - len, __VA_ARGS__);                 \
		if (r > 0 && (size_t)r < n - len)                              \
			len += (size_t)r;                                      \
	} while (0)
	ADD("%s", mode_names[o->mode]);
	if (o->extract)
		ADD(" t");
	if (o->ignore_dots)
		ADD(" i");
	if (o->verbose)
		ADD(" v%d", o->verbose);
	if (o->sender_set)
		ADD(" f=<%s>", o->sender);
	if (o->fullname)
		ADD(" F=%s", o->fullname);
	if (o->notify)
		ADD(" N=%s", o->notify);
	if (o->ret)
		ADD(" R=%s", o->ret);
	if (o->envid)
		ADD(" V=%s", o->envid);
	if (o->body)
		ADD(" B=%s", o->body);
	if (o->config)
		ADD(" C=%s", o->config);
	if (o->retry_id)
		ADD(" id=%s", o->retry_id);
	for (int i = 0; i < o->nrcpt; i++)
		ADD("%s%s", i == 0 ? " rcpt=" : "|", o->rcpts[i]);
#undef ADD
}

static const struct tcase cases[] = {
    /* callers, domain.md 7.5 */
    {"php default", SM_AS_SENDMAIL, {"-t", "-i"}, MS_OK, "deliver t i", 0},
    {"php with -f", SM_AS_SENDMAIL, {"-t", "-i", "-fbounce@x.org"}, MS_OK,
	"deliver t i f=<bounce@x.org>", 0},
    {"php -f twice", SM_AS_SENDMAIL, {"-t", "-i", "-fa@x.org", "-f", "b@x.org"},
	MS_OK, "deliver t i f=<b@x.org>", 1},
    {"cron", SM_AS_SENDMAIL,
	{"-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"}, MS_OK,
	"deliver i F=CronDaemon B=8BITMIME rcpt=root", 0},
    {"cronie", SM_AS_SENDMAIL,
	{"-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "alice"},
	MS_OK, "deliver t i f=<alice> F=CronDaemon", 0},
    {"mutt", SM_AS_SENDMAIL,
	{"-oem", "-oi", "-B8BITMIME", "-f", "a@b.org", "--", "x@y.org",
	    "-z@y.org"},
	MS_OK, "deliver i f=<a@b.org> B=8BITMIME rcpt=x@y.org|-z@y.org", 0},
    {"mutt dsn", SM_AS_SENDMAIL,
	{"-oem", "-oi", "-N", "failure,delay", "-R", "hdrs", "--", "x@y.org"},
	MS_OK, "deliver i N=failure,delay R=hdrs rcpt=x@y.org", 0},
    {"git", SM_AS_SENDMAIL, {"-i", "-f", "a@b.org", "x@y.org"}, MS_OK,
	"deliver i f=<a@b.org> rcpt=x@y.org", 0},
    {"busybox", SM_AS_SENDMAIL, {"-t", "-oem", "-i"}, MS_OK, "deliver t i", 0},
    {"grouped -ti", SM_AS_SENDMAIL, {"-ti"}, MS_OK, "deliver t i", 0},
    {"symfony", SM_AS_SENDMAIL, {"-bs"}, MS_OK, "smtp", 0},
    {"systemd-cron", SM_AS_SENDMAIL, {"-i", "-B", "8BITMIME", "root"}, MS_OK,
	"deliver i B=8BITMIME rcpt=root", 0},
    {"anacron", SM_AS_SENDMAIL, {"-FAnacron", "-odi", "root"}, MS_OK,
	"deliver F=Anacron rcpt=root", 0},
    {"mdadm", SM_AS_SENDMAIL, {"-t", "-fraid@example.org"}, MS_OK,
	"deliver t f=<raid@example.org>", 0},
    {"mailx", SM_AS_SENDMAIL, {"-oi", "-f", "root@host", "-t"}, MS_OK,
	"deliver t i f=<root@host>", 0},
    /* sender forms */
    {"null sender ''", SM_AS_SENDMAIL, {"-f", "", "a@x.org"}, MS_OK,
	"deliver f=<> rcpt=a@x.org", 0},
    {"null sender <>", SM_AS_SENDMAIL, {"-f<>", "a@x.org"}, MS_OK,
	"deliver f=<> rcpt=a@x.org", 0},
    {"bracketed sender", SM_AS_SENDMAIL, {"-r", "<a@b.org>", "x"}, MS_OK,
	"deliver f=<a@b.org> rcpt=x", 0},
    /* stop at first non-option */
    {"options after rcpt", SM_AS_SENDMAIL, {"root", "-t", "-i"}, MS_OK,
	"deliver rcpt=root|-t|-i", 0},
    {"dash dash", SM_AS_SENDMAIL, {"-i", "--", "-t"}, MS_OK,
	"deliver i rcpt=-t", 0},
    /* modes */
    {"-bm", SM_AS_SENDMAIL, {"-bm", "x"}, MS_OK, "deliver rcpt=x", 0},
    {"-bp", SM_AS_SENDMAIL, {"-bp"}, MS_OK, "list", 0},
    {"mailq", SM_AS_MAILQ, {NULL}, MS_OK, "list", 0},
    {"newaliases", SM_AS_NEWALIASES, {NULL}, MS_OK, "newaliases", 0},
    {"-bi", SM_AS_SENDMAIL, {"-bi"}, MS_OK, "newaliases", 0},
    {"-I", SM_AS_SENDMAIL, {"-I"}, MS_OK, "newaliases", 0},
    {"-q", SM_AS_SENDMAIL, {"-q"}, MS_OK, "flush", 0},
    {"-q -v", SM_AS_SENDMAIL, {"-q", "-v"}, MS_OK, "flush v1", 0},
    {"-q15m", SM_AS_SENDMAIL, {"-q15m"}, MS_OK, "flush-noop", 0},
    {"-qIid", SM_AS_SENDMAIL, {"-qI0660EE4DA9F199C5A4DB92"}, MS_OK,
	"retry id=0660EE4DA9F199C5A4DB92", 0},
    {"-qI id", SM_AS_SENDMAIL, {"-qI", "ABC"}, MS_OK, "retry id=ABC", 0},
    {"-qR site", SM_AS_SENDMAIL, {"-qR", "example.com"}, MS_OK, "retry", 0},
    {"-qRsite", SM_AS_SENDMAIL, {"-qRexample.com"}, MS_OK, "retry", 0},
    {"-C", SM_AS_SENDMAIL, {"-C", "/tmp/x.conf", "-t"}, MS_OK,
	"deliver t C=/tmp/x.conf", 0},
    {"-V envid", SM_AS_SENDMAIL, {"-V", "abc123", "x"}, MS_OK,
	"deliver V=abc123 rcpt=x", 0},
    {"-B 7bit", SM_AS_SENDMAIL, {"-B", "7bit", "x"}, MS_OK,
	"deliver B=7BIT rcpt=x", 0},
    /* historic options: accepted with a warning */
    {"historic flags", SM_AS_SENDMAIL, {"-U", "-G", "-n", "-x", "x"}, MS_OK,
	"deliver rcpt=x", 4},
    {"historic values", SM_AS_SENDMAIL,
	{"-L", "label", "-h", "17", "-O", "a=b", "-XV", "-Am", "-o7", "x"},
	MS_OK, "deliver rcpt=x", 6},
    {"unknown letter", SM_AS_SENDMAIL, {"-Z", "x"}, MS_OK, "deliver rcpt=x", 1},
    /* --version and --help print and exit, never -v -e -r ... */
    {"--version", SM_AS_SENDMAIL, {"--version"}, MS_OK, "version", 0},
    {"--help", SM_AS_SENDMAIL, {"--help"}, MS_OK, "help", 0},
    {"--version after options", SM_AS_SENDMAIL, {"-t", "-i", "--version"},
	MS_OK, "version t i", 0},
    {"--help wins over errors after it", SM_AS_SENDMAIL,
	{"--help", "-bz", "x"}, MS_OK, "help", 0},
    {"--version as mailq", SM_AS_MAILQ, {"--version"}, MS_OK, "version", 0},
    {"--version after --", SM_AS_SENDMAIL, {"--", "--version"}, MS_OK,
	"deliver rcpt=--version", 0},
    {"--version after rcpt", SM_AS_SENDMAIL, {"x@y.org", "--version"}, MS_OK,
	"deliver rcpt=x@y.org|--version", 0},
    {"other long option ignored", SM_AS_SENDMAIL, {"--verbose", "-i", "x"},
	MS_OK, "deliver i rcpt=x", 1},
    {"--versionx is not --version", SM_AS_SENDMAIL, {"--versionx", "x"},
	MS_OK, "deliver rcpt=x", 1},
    /* errors */
    {"missing -f value", SM_AS_SENDMAIL, {"-t", "-f"}, MS_USAGE, "", 0},
    {"missing -C value", SM_AS_SENDMAIL, {"-C"}, MS_USAGE, "", 0},
    {"bad -B", SM_AS_SENDMAIL, {"-B", "BINARYMIME", "x"}, MS_USAGE, "", 0},
    {"bad -b", SM_AS_SENDMAIL, {"-bz"}, MS_USAGE, "", 0},
    {"-bd", SM_AS_SENDMAIL, {"-bd"}, MS_USAGE, "", 0},
    {"bad -N", SM_AS_SENDMAIL, {"-N", "sometimes", "x"}, MS_USAGE, "", 0},
    {"bad -R", SM_AS_SENDMAIL, {"-R", "most", "x"}, MS_USAGE, "", 0},
    {"bad -q letter", SM_AS_SENDMAIL, {"-qX"}, MS_USAGE, "", 0},
    {"-qI no id", SM_AS_SENDMAIL, {"-qI"}, MS_USAGE, "", 0},
    {"rcpt with -bp", SM_AS_SENDMAIL, {"-bp", "x"}, MS_USAGE, "", 0},
    {"rcpt with -bi", SM_AS_SENDMAIL, {"-bi", "x"}, MS_USAGE, "", 0},
    {"rcpt with -bs", SM_AS_SENDMAIL, {"-bs", "x"}, MS_USAGE, "", 0},
    {"rcpt with -q", SM_AS_SENDMAIL, {"-q", "x"}, MS_USAGE, "", 0},
    {"rcpt with mailq", SM_AS_MAILQ, {"x"}, MS_USAGE, "", 0},
    {"-t with -bs", SM_AS_SENDMAIL, {"-t", "-bs"}, MS_USAGE, "", 0},
    {"CR in -f", SM_AS_SENDMAIL, {"-fa@x.org\rRCPT", "x"}, MS_USAGE, "", 0},
    {"LF in -r", SM_AS_SENDMAIL, {"-r", "a@x.org\nX: y", "x"}, MS_USAGE, "", 0},
    {"LF in -F", SM_AS_SENDMAIL, {"-F", "Name\nBcc: v@x.org", "x"}, MS_USAGE,
	"", 0},
    {"LF in rcpt", SM_AS_SENDMAIL, {"-i", "a@x.org\nb@y.org"}, MS_USAGE, "", 0},
};

int
main(void)
{
	int failed = 0;

	for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
		const struct tcase *c = &cases[i];
		char *argv[18];
		int argc = 0;
		struct sm_opts o;
		struct ms_err err = {""};
		enum ms_status st;
		char got[512] = "";

		argv[argc++] = c->who == SM_AS_MAILQ ? "mailq"
			       : c->who == SM_AS_NEWALIASES
				   ? "newaliases"
				   : "/usr/sbin/sendmail";
		for (int k = 0; c->argv[k] != NULL; k++)
			argv[argc++] = (char *)c->argv[k];
		argv[argc] = NULL;
		st = sm_options_parse(&o, argc, argv, c->who, &err);
		if (st == MS_OK)
			summarize(&o, got, sizeof(got));
		if (st != c->want_status ||
		    (st == MS_OK && (strcmp(got, c->want) != 0 ||
					o.nwarn != c->want_warn)) ||
		    (st != MS_OK && err.msg[0] == '\0')) {
			printf(
			    "FAIL %s: status %d want %d, got '%s' want '%s', "
			    "%d warnings want %d (%s)\n",
			    c->name, st, c->want_status, got, c->want,
			    st == MS_OK ? o.nwarn : 0, c->want_warn, err.msg);
			failed++;
		} else if (ms_exitcode(st) != (st == MS_OK ? 0 : 64)) {
			printf("FAIL %s: exit code %d\n", c->name,
			    ms_exitcode(st));
			failed++;
		}
	}
	printf("%d of %zu cases failed\n", failed, MS_ARRAY_LEN(cases));
	return failed == 0 ? 0 : 1;
}
