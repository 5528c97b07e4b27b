/*
 * test_aliases.c - table tests for lib/aliases_*.c and `mailshim newaliases`.
 *
 * Each parse case gives the text of an aliases file, the problems wanted
 * ("LINE:E:words" or "LINE:W:words", in order) and the number of aliases
 * kept; each resolve case expands one address against a shared table and
 * wants either the addresses, in order, or a status and words of the
 * error.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliases.h"
#include "cmd_newaliases.h"
#include "conf.h"

static int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			failures++;                                            \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);            \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

struct probs {
	char text[8192];
	size_t len;
};

static void
collect(const char *file, int line, bool error, const char *msg, void *arg)
{
	struct probs *p = arg;
	int n;

	(void)file;
	n = snprintf(p->text + p->len, sizeof(p->text) - p->len, "%d:%c:%s\n",
	    line, error ? 'E' : 'W', msg);
	if (n > 0 && (size_t)n < sizeof(p->text) - p->len)
		p->len += (size_t)n;
}

/* want: "LINE:K:words|LINE:K:words"; each actual problem line must start
 * with LINE:K: and contain words; the counts must match. */
static bool
problems_match(const char *got, const char *want)
{
	char w[1024];
	const char *g = got;
	size_t nwant = 0, ngot = 0;
	char *item = w;

	for (const char *c = got; *c != '\0'; c++)
		ngot += *c == '\n';
	if (want[0] == '\0')
		return ngot == 0;
	snprintf(w, sizeof(w), "%s", want);
	while (item != NULL) {
		char *bar = strchr(item, '|');
		char *c1, *c2;
		const char *eol = strchr(g, '\n');
		size_t plen;
		char lineb[1024];

		if (bar != NULL)
			*bar = '\0';
		c1 = strchr(item, ':');
		c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
		nwant++;
		if (c2 == NULL || eol == NULL)
			return false;
		plen = (size_t)(c2 - item) + 1;
		if (strncmp(g, item, plen) != 0)
			return false;
		snprintf(lineb, sizeof(lineb), "%.*s", (int)(eol - g), g);
		if (strstr(lineb, c2 + 1) == NULL)
			return false;
		g = eol + 1;
		item = bar != NULL ? bar + 1 : NULL;
	}
	return nwant == ngot;
}

static const struct parse_case {
	const char *name;
	const char *text;
	const char *want_problems;
	size_t want_count;
} parse_cases[] = {
	{ "empty", "", "", 0 },
	{ "comments and blanks", "# c\n\n   \n\t# indented comment\n", "", 0 },
	{ "simple", "root: ops@example.com\n", "", 1 },
	{ "crlf", "root: ops@example.com\r\npostmaster: root\r\n", "", 2 },
	{ "no final newline", "root: ops@example.com", "", 1 },
	{ "continuation", "ops: a@x.org,\n  b@x.org,\n\tc@x.org\nz: a\n", "",
	    2 },
	{ "comment inside continuation", "ops: a@x.org,\n# note\n  b@x.org\n",
	    "", 1 },
	{ "continuation without alias", "  a@x.org\nroot: b\n",
	    "1:E:continuation", 1 },
	{ "missing colon", "root ops@example.com\nok: a\n",
	    "1:E:expected \"name: target", 1 },
	{ "empty name", ": a@x.org\n", "1:E:empty alias name", 0 },
	{ "name with at", "root@x: a@x.org\n", "1:E:must be a local name", 0 },
	{ "no targets", "root:\nok: x\n", "1:E:no targets", 1 },
	{ "only commas", "root: , ,\n", "1:E:no targets", 0 },
	{ "trailing comma", "root: a@x.org,\n", "", 1 },
	{ "quoted name", "\"two words\": a@x.org\n", "", 1 },
	{ "unterminated quoted name", "\"two: a@x.org\n", "1:E:unterminated",
	    0 },
	{ "pipe refused", "root: ops@x.org, |/usr/bin/procmail\n",
	    "1:W:pipe target", 1 },
	{ "quoted pipe refused", "root: \"|/usr/bin/foo -a, -b\", ops@x.org\n",
	    "1:W:/usr/bin/foo -a, -b\" refused", 1 },
	{ "file refused", "log: /var/log/mail.txt\n",
	    "1:W:file target|1:W:no usable target", 0 },
	{ "include refused", "staff: :include:/etc/mail/staff\n",
	    "1:W:include target|1:W:no usable target", 0 },
	{ "include refused uppercase", "staff: :INCLUDE:/x, a\n",
	    "1:W:include target", 1 },
	{ "duplicate keeps first", "root: a@x.org\nmail: b\nROOT: c@x.org\n",
	    "3:W:duplicate alias \"root\" ignored (first defined at line 1)",
	    2 },
	{ "invalid target", "root: a b@x.org, ok@x.org\n",
	    "1:E:invalid address", 1 },
	{ "angle target", "root: Ops Team <ops@x.org>, \"Doe, J\" <j@x.org>\n",
	    "", 1 },
	{ "unterminated angle", "root: <ops@x.org\n",
	    "1:E:unterminated '<'|1:W:no usable", 0 },
	{ "comment in targets", "root: ops@x.org (the ops team), b\n", "", 1 },
	{ "unterminated comment", "root: ops@x.org (oops\n",
	    "1:E:unterminated comment", 1 },
	{ "backslash target", "root: \\root, ops@x.org\n", "", 1 },
	{ "bad backslash target", "root: \\a@b.org, ops@x.org\n",
	    "1:E:invalid local name", 1 },
	{ "nul byte", "root: a\0b\nok: x\n", "1:E:NUL byte", 1 },
	{ "line numbers after continuation", "a: x,\n  y\n\nb c\nd: z\n",
	    "4:E:expected", 2 },
	{ "several problems in order", "bad\nroot: |cmd, a\nroot: b\n",
	    "1:E:expected|2:W:pipe|3:W:duplicate", 1 },
};

static const char *table_text =
    "# a table for the resolve cases\n"
    "root:       ops@example.org, \\root\n"
    "postmaster: root\n"
    "ops-team:   alice, Bob@Example.org,\n"
    "            carol@example.net, alice\n"
    "alice:      alice@corp.example.org\n"
    "webmaster:  postmaster, ops-team\n"
    "loop-a:     loop-b\n"
    "loop-b:     loop-c\n"
    "loop-c:     loop-a\n"
    "selfish:    selfish, x@example.org\n"
    "pipe:       |/bin/cat, ops@example.org\n"
    "d0: d1\nd1: d2\nd2: d3\nd3: d4\nd4: d5\nd5: d6\nd6: d7\nd7: d8\n"
    "d8: d9\nd9: d10\nd10: d11\nd11: d12\nd12: d13\nd13: d14\nd14: d15\n"
    "d15: d16\nd16: d17\nd17: end@example.org\n"
    "e0: e1\ne1: e2\ne2: e3\ne3: e4\ne4: e5\ne5: e6\ne6: e7\ne7: e8\n"
    "e8: e9\ne9: e10\ne10: e11\ne11: e12\ne12: e13\ne13: e14\n"
    "e14: e15@example.org\n"
    "mixed:      user@web-1, other@localhost, x@web-1.example.com\n"
    "Upper:      up@example.org\n";

static const struct resolve_case {
	const char *name;
	const char *addr;
	const char *catchall;
	enum ms_status want_status;
	const char *want; /* addresses joined by ',' or error words */
} resolve_cases[] = {
	{ "root", "root", NULL, MS_OK, "ops@example.org,root@example.com" },
	{ "root at domain", "root@example.com", NULL, MS_OK,
	    "ops@example.org,root@example.com" },
	{ "root at localhost", "root@localhost", NULL, MS_OK,
	    "ops@example.org,root@example.com" },
	{ "root at hostname", "root@WEB-1.example.com", NULL, MS_OK,
	    "ops@example.org,root@example.com" },
	{ "root at short hostname", "root@web-1", NULL, MS_OK,
	    "ops@example.org,root@example.com" },
	{ "root with catchall", "root", "catch@example.org", MS_OK,
	    "ops@example.org,catch@example.org" },
	{ "nested", "postmaster", NULL, MS_OK,
	    "ops@example.org,root@example.com" },
	{ "nested dedup", "webmaster", NULL, MS_OK,
	    "ops@example.org,root@example.com,alice@corp.example.org,"
	    "Bob@Example.org,carol@example.net" },
	{ "case-insensitive name", "PostMaster", NULL, MS_OK,
	    "ops@example.org,root@example.com" },
	{ "upper-case name in file", "upper", NULL, MS_OK, "up@example.org" },
	{ "no alias bare", "www-data", NULL, MS_OK, "www-data@example.com" },
	{ "no alias bare catchall", "www-data", "catch@example.org", MS_OK,
	    "catch@example.org" },
	{ "bare catchall is qualified", "www-data", "catch", MS_OK,
	    "catch@example.com" },
	{ "no alias localhost", "nobody@localhost", NULL, MS_OK,
	    "nobody@example.com" },
	{ "no alias at domain passes", "jane@example.com", "catch@example.org",
	    MS_OK, "jane@example.com" },
	{ "other domain passes", "root@example.org", NULL, MS_OK,
	    "root@example.org" },
	{ "other domain passes with catchall", "root@other.example",
	    "catch@example.org", MS_OK, "root@other.example" },
	{ "loop", "loop-a", NULL, MS_CONFIG,
	    "alias loop: loop-a -> loop-b -> loop-c -> loop-a" },
	{ "loop entered midway", "loop-b", NULL, MS_CONFIG,
	    "loop-b -> loop-c -> loop-a -> loop-b" },
	{ "self reference", "selfish", NULL, MS_OK,
	    "selfish@example.com,x@example.org" },
	{ "pipe dropped", "pipe", NULL, MS_OK, "ops@example.org" },
	{ "too deep", "d0", NULL, MS_CONFIG, "nested too deep: d0 -> d1" },
	{ "deep but allowed", "e0", NULL, MS_OK, "e15@example.org" },
	{ "local hosts in targets", "mixed", NULL, MS_OK,
	    "user@example.com,other@example.com,x@example.com" },
	{ "empty address", "", NULL, MS_DATA, "empty" },
};

struct outbuf {
	char text[4096];
	size_t len;
};

static enum ms_status
gather(const char *addr, void *arg, struct ms_err *err)
{
	struct outbuf *o = arg;
	int n;

	(void)err;
	n = snprintf(o->text + o->len, sizeof(o->text) - o->len, "%s%s",
	    o->len > 0 ? "," : "", addr);
	if (n > 0 && (size_t)n < sizeof(o->text) - o->len)
		o->len += (size_t)n;
	return MS_OK;
}

static enum ms_status
refuse(const char *addr, void *arg, struct ms_err *err)
{
	(void)arg;
	return ms_err_set(err, MS_PERM, "refused %s", addr);
}

static void
test_parse(void)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct probs p = { .len = 0 };
		struct aliases *a = NULL;
		struct ms_err err;
		size_t len = strlen(c->text);
		enum ms_status st;

		if (strcmp(c->name, "nul byte") == 0)
			len = 15; /* the text holds a NUL */
		p.text[0] = '\0';
		st =
		    aliases_parse_buf(&a, c->text, len, "t", collect, &p, &err);
		CHECK(st == MS_OK, "%s: status %d", c->name, st);
		CHECK(problems_match(p.text, c->want_problems),
		    "%s: problems\n%s\nwant %s", c->name, p.text,
		    c->want_problems);
		CHECK(aliases_count(a) == c->want_count,
		    "%s: %zu aliases, want %zu", c->name, aliases_count(a),
		    c->want_count);
		aliases_free(a);
	}
}

static void
test_resolve(void)
{
	struct probs p = { .len = 0 };
	struct aliases *a = NULL;
	struct ms_err err;
	enum ms_status st;

	st = aliases_parse_buf(
	    &a, table_text, strlen(table_text), "table", collect, &p, &err);
	CHECK(st == MS_OK, "table: status %d", st);
	CHECK(problems_match(p.text, "12:W:pipe target"), "table problems: %s",
	    p.text);
	for (size_t i = 0; i < MS_ARRAY_LEN(resolve_cases); i++) {
		const struct resolve_case *c = &resolve_cases[i];
		struct outbuf o = { .len = 0 };

		o.text[0] = '\0';
		err.msg[0] = '\0';
		st = aliases_resolve_host(a, c->addr, "example.com",
		    "web-1.example.com", c->catchall, gather, &o, &err);
		CHECK(st == c->want_status, "%s: status %d want %d (%s)",
		    c->name, st, c->want_status, err.msg);
		if (c->want_status == MS_OK)
			CHECK(strcmp(o.text, c->want) == 0,
			    "%s: got %s want %s", c->name, o.text, c->want);
		else
			CHECK(strstr(err.msg, c->want) != NULL,
			    "%s: error \"%s\" lacks \"%s\"", c->name, err.msg,
			    c->want);
	}

	/* The callback's status stops the expansion and comes back. */
	st = aliases_resolve_host(
	    a, "root", "example.com", "h", NULL, refuse, NULL, &err);
	CHECK(st == MS_PERM && strstr(err.msg, "refused ops@") != NULL,
	    "callback status: %d %s", st, err.msg);

	/* A NULL table still qualifies; no domain leaves bare names bare. */
	{
		struct outbuf o = { .len = 0 };

		o.text[0] = '\0';
		st = aliases_resolve_host(
		    NULL, "root", "example.com", NULL, NULL, gather, &o, &err);
		CHECK(st == MS_OK && strcmp(o.text, "root@example.com") == 0,
		    "null table: %s", o.text);
		o.len = 0;
		o.text[0] = '\0';
		st = aliases_resolve_host(
		    NULL, "root", NULL, NULL, NULL, gather, &o, &err);
		CHECK(st == MS_OK && strcmp(o.text, "root") == 0,
		    "no domain: %s", o.text);
	}

	/* aliases_check names each failing alias at its line. */
	p.len = 0;
	p.text[0] = '\0';
	int bad = aliases_check(
	    a, "example.com", "web-1.example.com", NULL, collect, &p);
	CHECK(bad == 5, "check: %d bad\n%s", bad, p.text);
	CHECK(problems_match(p.text,
		  "8:E:alias loop|9:E:alias loop|"
		  "10:E:alias loop|13:E:nested too deep: d0|14:E:nested too "
		  "deep: d1"),
	    "check problems:\n%s", p.text);
	aliases_free(a);
}

static char tmpdir[] = "/tmp/test_aliases.XXXXXX";

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(99);
	}
}

/* Runs cmd_newaliases with stdout and stderr captured into out/errtext. */
static int
run_newaliases(const struct ms_conf *conf, int argc, char **argv, char *out,
    size_t outlen, char *errtext, size_t errlen)
{
	char po[512], pe[512];
	int so, se, fo, fe, rc;
	ssize_t n;

	snprintf(po, sizeof(po), "%s/out", tmpdir);
	snprintf(pe, sizeof(pe), "%s/err", tmpdir);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	fo = open(po, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fe = open(pe, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (so < 0 || se < 0 || fo < 0 || fe < 0)
		exit(99);
	dup2(fo, 1);
	dup2(fe, 2);
	rc = cmd_newaliases(conf, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	n = pread(fo, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	n = pread(fe, errtext, errlen - 1, 0);
	errtext[n > 0 ? n : 0] = '\0';
	close(fo);
	close(fe);
	return rc;
}

static void
test_files_and_newaliases(void)
{
	char path[512], good[512], missing[512], out[4096], errt[4096];
	struct ms_conf conf;
	struct aliases *a = NULL;
	struct ms_err err;
	enum ms_status st;
	char *argv[3];
	int rc;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
	snprintf(path, sizeof(path), "%s/aliases", tmpdir);
	snprintf(good, sizeof(good), "%s/good", tmpdir);
	snprintf(missing, sizeof(missing), "%s/missing", tmpdir);
	write_file(path,
	    "root: ops@example.org\n"
	    "bad line\n"
	    "cron: |/usr/bin/logger\n"
	    "a: b\nb: a\n");
	write_file(good, "root: ops@example.org\n# c\npm: root, |/x\n");

	/* Missing file: an empty table, not an error. */
	st = aliases_load_report(&a, missing, collect, NULL, &err);
	CHECK(st == MS_OK && a != NULL && aliases_count(a) == 0,
	    "missing file: %d", st);
	aliases_free(a);

	/* A directory cannot be read as a table. */
	st = aliases_load_report(&a, tmpdir, collect, NULL, &err);
	CHECK(st == MS_CONFIG && a == NULL && strstr(err.msg, "regular"),
	    "directory: %d %s", st, err.msg);

	/* aliases_load logs and keeps the good lines. */
	st = aliases_load(&a, path, &err);
	CHECK(st == MS_OK && aliases_count(a) == 3, "load: %d %zu", st,
	    aliases_count(a));
	aliases_free(a);

	memset(&conf, 0, sizeof(conf));
	conf.aliases = path;
	conf.domain = "example.com";
	conf.hostname = "web-1.example.com";
	argv[0] = NULL;
	rc = run_newaliases(
	    &conf, 0, argv, out, sizeof(out), errt, sizeof(errt));
	CHECK(rc == EX_CONFIG, "newaliases bad file: rc %d", rc);
	char want_line[600];
	snprintf(want_line, sizeof(want_line), "%s:2: expected", path);
	CHECK(strstr(errt, want_line) != NULL, "stderr lacks %s:\n%s",
	    want_line, errt);
	snprintf(want_line, sizeof(want_line),
	    "%s:3: warning: alias "
	    "\"cron\": pipe target",
	    path);
	CHECK(strstr(errt, want_line) != NULL, "stderr lacks %s:\n%s",
	    want_line, errt);
	snprintf(want_line, sizeof(want_line), "%s:4: alias loop: a -> b -> a",
	    path);
	CHECK(strstr(errt, want_line) != NULL, "stderr lacks %s:\n%s",
	    want_line, errt);
	CHECK(strstr(out, ": 3 aliases, 3 errors, 2 warnings") != NULL,
	    "summary: %s", out);

	argv[0] = good;
	rc = run_newaliases(
	    &conf, 1, argv, out, sizeof(out), errt, sizeof(errt));
	CHECK(rc == 0, "newaliases good file: rc %d\n%s", rc, errt);
	CHECK(strstr(out, ": 2 aliases, 0 errors, 1 warnings") != NULL,
	    "good summary: %s", out);

	argv[0] = missing;
	rc = run_newaliases(
	    &conf, 1, argv, out, sizeof(out), errt, sizeof(errt));
	CHECK(rc == 0 && strstr(out, ": 0 aliases") != NULL,
	    "missing: rc %d %s", rc, out);

	argv[0] = tmpdir;
	rc = run_newaliases(
	    &conf, 1, argv, out, sizeof(out), errt, sizeof(errt));
	CHECK(rc == EX_CONFIG && strstr(errt, "not a regular file") != NULL,
	    "dir: rc %d %s", rc, errt);

	argv[0] = "-x";
	rc = run_newaliases(
	    &conf, 1, argv, out, sizeof(out), errt, sizeof(errt));
	CHECK(rc == EX_USAGE, "bad option: rc %d", rc);

	argv[0] = good;
	argv[1] = good;
	rc = run_newaliases(
	    &conf, 2, argv, out, sizeof(out), errt, sizeof(errt));
	CHECK(rc == EX_USAGE, "two files: rc %d", rc);

	snprintf(out, sizeof(out), "%s/out", tmpdir);
	unlink(out);
	snprintf(out, sizeof(out), "%s/err", tmpdir);
	unlink(out);
	unlink(path);
	unlink(good);
	rmdir(tmpdir);
}

int
main(void)
{
	test_parse();
	test_resolve();
	test_files_and_newaliases();
	printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
	return failures == 0 ? 0 : 1;
}
