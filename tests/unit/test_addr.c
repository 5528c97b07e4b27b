/*
 * test_addr.c - address-list parsing, validation and qualification.
 *
 * Table-driven: each case gives the input, the wanted status and the
 * addresses the callback must see, joined with '|'.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "escape.h"

struct collect {
	char out[2048];
	size_t len;
};

static enum ms_status
collect_cb(const char *addr, void *arg, struct ms_err *err)
{
	struct collect *c = arg;
	int r;

	(void)err;
	r = snprintf(c->out + c->len, sizeof(c->out) - c->len, "%s%s",
	    c->len > 0 ? "|" : "", addr);
	if (r > 0)
		c->len += (size_t)r;
	return MS_OK;
}

static const struct {
	const char *name;
	const char *in;
	enum ms_status want_status;
	const char *want;
} parse_cases[] = {
    {"plain", "a@example.com", MS_OK, "a@example.com"},
    {"two", "a@x.org, b@y.org", MS_OK, "a@x.org|b@y.org"},
    {"display name", "Alice Smith <alice@example.com>", MS_OK,
	"alice@example.com"},
    {"quoted name with comma",
	"\"Smith, Alice\" <alice@example.com>, "
	"bob@example.com",
	MS_OK, "alice@example.com|bob@example.com"},
    {"comment", "bob@example.com (Bob Jones)", MS_OK, "bob@example.com"},
    {"nested comment", "(a (b) c) bob@example.com (x)", MS_OK,
	"bob@example.com"},
    {"cron from", "root (Cron Daemon)", MS_OK, "root"},
    {"bare local", "root", MS_OK, "root"},
    {"local list", "root, postmaster", MS_OK, "root|postmaster"},
    {"group", "team: a@x.org, B <b@y.org>;, c@z.org", MS_OK,
	"a@x.org|b@y.org|c@z.org"},
    {"empty group", "undisclosed-recipients:;", MS_OK, ""},
    {"empty group and more", "undisclosed-recipients:; , d@x.org", MS_OK,
	"d@x.org"},
    {"folded", "a@x.org,\n b@y.org,\r\n\tC <c@z.org>", MS_OK,
	"a@x.org|b@y.org|c@z.org"},
    {"quoted local", "\"john doe\"@example.com", MS_OK,
	"\"john doe\"@example.com"},
    {"domain literal", "a@[192.0.2.1]", MS_OK, "a@[192.0.2.1]"},
    {"route", "<@relay.example:a@x.org>", MS_OK, "a@x.org"},
    {"empty commas", ",, a@x.org ,,", MS_OK, "a@x.org"},
    {"empty", "", MS_OK, ""},
    {"spaces only", "   ", MS_OK, ""},
    {"utf8 name", "J\xc3\xbcrgen <j@example.de>", MS_OK, "j@example.de"},
    {"two words no angle", "John Smith", MS_DATA, ""},
    {"unclosed angle", "A <a@x.org", MS_DATA, ""},
    {"empty angle", "<>", MS_DATA, ""},
    {"double at", "a@b@c", MS_DATA, ""},
    {"trailing at", "a@", MS_DATA, ""},
    {"leading dot", ".a@x.org", MS_DATA, ""},
    {"double dot domain", "a@x..org", MS_DATA, ""},
    {"unclosed quote", "\"abc@x.org", MS_DATA, ""},
    {"unclosed comment", "a@x.org (oops", MS_DATA, ""},
    {"backslash", "a\\b@x.org", MS_DATA, ""},
    {"control byte", "a\x01@x.org", MS_DATA, ""},
    {"lone angle close", "a@x.org>", MS_DATA, ""},
    {"quoted escape", "\"x\x1b[1A\"@x.org", MS_DATA, ""},
    {"quoted pair control", "<\"x\\\x08y\"@x.org>", MS_DATA, ""},
};

static const struct {
	const char *in;
	bool valid, local;
	const char *domain;    /* addr_domain(); NULL */
	const char *qualified; /* with domain "example.com" */
} valid_cases[] = {
    {"a@example.com", true, false, "example.com", "a@example.com"},
    {"root", true, true, NULL, "root@example.com"},
    {"first.last+tag@sub.example.com", true, false, "sub.example.com",
	"first.last+tag@sub.example.com"},
    {"\"a@b\"@example.com", true, false, "example.com", "\"a@b\"@example.com"},
    {"\"a b\"", true, true, NULL, "\"a b\"@example.com"},
    {"", false, true, NULL, ""},
    {"a b@example.com", false, false, "example.com", NULL},
    {"<a@example.com>", false, false, NULL, NULL},
    {"a@b@c", false, false, NULL, NULL},
    {"a@", false, false, NULL, NULL},
    {"@example.com", false, false, NULL, NULL},
    {"a.@example.com", false, false, NULL, NULL},
    {"a@example.com.", false, false, NULL, NULL},
    {"a\r\n@example.com", false, false, NULL, NULL},
    {"a,b@example.com", false, false, NULL, NULL},
    {"a@[127.0.0.1]", true, false, "[127.0.0.1]", "a@[127.0.0.1]"},
    /* issue 19 item 9: no control byte anywhere, not even quoted */
    {"\"a\x1b[2Jb\"@example.com", false, false, NULL, NULL},
    {"\"a\\\x1b[2Jb\"@example.com", false, false, NULL, NULL},
    {"\"a\\\x01\"@example.com", false, false, NULL, NULL},
    {"\"a\tb\"@example.com", false, false, NULL, NULL},
    {"\"a\\\tb\"@example.com", false, false, NULL, NULL},
    {"\"a\x7f\"@example.com", false, false, NULL, NULL},
    {"a\x7f@example.com", false, false, NULL, NULL},
    {"\"a\xc2\x9b" "2J\"@example.com", false, false, NULL, NULL},
    {"a@[127.0.0.\x08]", false, false, NULL, NULL},
    {"\"a\\\"b\"@example.com", true, false, "example.com",
	"\"a\\\"b\"@example.com"},
    {"j\xc3\xbcrgen@example.de", true, false, "example.de",
	"j\xc3\xbcrgen@example.de"},
};

/* "a" * n into buf (NUL-terminated). */
static char *
run(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static int
limit_case(
    const char *what, const char *text, bool want, const char *why, int *n)
{
	const char *got = addr_check(text);

	(*n)++;
	if ((got == NULL) != want ||
	    (got != NULL && why != NULL && strstr(got, why) == NULL)) {
		printf("FAIL limit %s: %s\n", what, got ? got : "accepted");
		return 1;
	}
	return 0;
}

/* RFC 5321 4.5.3.1: local part <= 64 octets, domain <= 255 octets; RFC
 * 1035 2.3.4: label <= 63 octets. The limits are from the RFCs. */
static int
test_limits(int *n)
{
	char local[80], label[64], addr[700], dom[400];
	struct {
		const char *what;
	} c;
	int failed = 0;

#define LIMIT_CASE(text, want, why)                                            \
	failed += limit_case(c.what, (text), (want), (why), n)

	c.what = "local 64";
	snprintf(addr, sizeof(addr), "%s@example.com", run(local, 'a', 64));
	LIMIT_CASE(addr, true, NULL);
	c.what = "local 65";
	snprintf(addr, sizeof(addr), "%s@example.com", run(local, 'a', 65));
	LIMIT_CASE(addr, false, "local part longer than 64 octets");
	c.what = "bare local 65";
	LIMIT_CASE(run(local, 'b', 65), false, "64 octets");
	c.what = "quoted local 64 with quotes";
	snprintf(addr, sizeof(addr), "\"%s\"@example.com", run(local, 'q', 62));
	LIMIT_CASE(addr, true, NULL);
	c.what = "quoted local 65 with quotes";
	snprintf(addr, sizeof(addr), "\"%s\"@example.com", run(local, 'q', 63));
	LIMIT_CASE(addr, false, "64 octets");
	c.what = "label 63";
	snprintf(addr, sizeof(addr), "a@%s.example.com", run(label, 'l', 63));
	LIMIT_CASE(addr, true, NULL);
	c.what = "label 64";
	snprintf(addr, sizeof(addr), "a@%sl.example.com", run(label, 'l', 63));
	LIMIT_CASE(addr, false, "label longer than 63 octets");
	c.what = "last label 64";
	snprintf(addr, sizeof(addr), "a@example.%sl", run(label, 'l', 63));
	LIMIT_CASE(addr, false, "63 octets");
	c.what = "domain 255";
	run(label, 'd', 63);
	snprintf(dom, sizeof(dom), "%s.%s.%s.%s", label, label, label, label);
	snprintf(addr, sizeof(addr), "a@%s", dom);
	LIMIT_CASE(addr, strlen(dom) == 255, NULL);
	c.what = "domain 257";
	snprintf(addr, sizeof(addr), "a@x.%s", dom);
	LIMIT_CASE(addr, false, "domain longer than 255 octets");
	/* the list parser reports the same reason */
	{
		struct collect col = { .len = 0 };
		struct ms_err err = { "" };

		snprintf(addr, sizeof(addr), "Name <%s@example.com>",
		    run(local, 'a', 65));
		(*n)++;
		if (addr_list_parse(addr, strlen(addr), collect_cb, &col,
			&err) != MS_DATA ||
		    strstr(err.msg, "longer than 64 octets") == NULL) {
			printf("FAIL limit list: '%s'\n", err.msg);
			failed++;
		}
	}
#undef LIMIT_CASE
	return failed;
}

/* ms_escape(): what a listing or a log line prints of untrusted text. */
static int
test_escape(int *n)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "a@example.com", "a@example.com" },
		{ "\"john doe\"@x", "\"john doe\"@x" },
		{ "a\x1b[2Jb", "a\\x1b[2Jb" },
		{ "line\nfake", "line\\nfake" },
		{ "cr\rtab\t", "cr\\rtab\\t" },
		{ "back\\slash", "back\\\\slash" },
		{ "del\x7f", "del\\x7f" },
		{ "j\xc3\xbcrgen", "j\xc3\xbcrgen" },
		{ "c1\xc2\x9b", "c1\\xc2\\x9b" },
		{ "raw\x9b", "raw\\x9b" },
		{ "rlo\xe2\x80\xae"
		  "evil",
		    "rlo\\xe2\\x80\\xae"
		    "evil" },
		{ "cut\xc3", "cut\\xc3" },
	};
	char out[64];
	int failed = 0;

	for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
		(*n)++;
		ms_escape(out, sizeof(out), cases[i].in, strlen(cases[i].in));
		if (strcmp(out, cases[i].want) != 0) {
			printf("FAIL escape %zu: '%s' want '%s'\n", i, out,
			    cases[i].want);
			failed++;
		}
	}
	/* a short buffer: shortened, terminated, marked */
	(*n)++;
	ms_escape(out, 8, "\x01\x02\x03\x04", 4);
	if (strcmp(out, "\\x01...") != 0) {
		printf("FAIL escape short: '%s'\n", out);
		failed++;
	}
	return failed;
}

int
main(void)
{
	int failed = 0, n = 0;
	char longaddr[ADDR_MAX + 20];

	for (size_t i = 0; i < MS_ARRAY_LEN(parse_cases); i++) {
		struct collect c = {.len = 0};
		struct ms_err err = {""};
		enum ms_status st;

		c.out[0] = '\0';
		st = addr_list_parse(parse_cases[i].in,
		    strlen(parse_cases[i].in), collect_cb, &c, &err);
		n++;
		if (st != parse_cases[i].want_status ||
		    (st == MS_OK && strcmp(c.out, parse_cases[i].want) != 0)) {
			printf("FAIL parse %s: status %d (want %d) got '%s' "
			       "want '%s' (%s)\n",
			    parse_cases[i].name, st, parse_cases[i].want_status,
			    c.out, parse_cases[i].want, err.msg);
			failed++;
		} else if (st != MS_OK &&
			   strncmp(err.msg, "invalid address", 15) != 0) {
			printf("FAIL parse %s: message '%s'\n",
			    parse_cases[i].name, err.msg);
			failed++;
		}
	}
	for (size_t i = 0; i < MS_ARRAY_LEN(valid_cases); i++) {
		const char *in = valid_cases[i].in;
		const char *d;

		n++;
		if (addr_valid(in) != valid_cases[i].valid) {
			printf("FAIL valid '%s': got %d\n", in,
			    !valid_cases[i].valid);
			failed++;
			continue;
		}
		if (!valid_cases[i].valid)
			continue;
		d = addr_domain(in);
		if (addr_is_local(in) != valid_cases[i].local ||
		    (d == NULL) != (valid_cases[i].domain == NULL) ||
		    (d != NULL && strcmp(d, valid_cases[i].domain) != 0)) {
			printf("FAIL local/domain '%s'\n", in);
			failed++;
		}
		{
			char *q = addr_qualify(in, "example.com");

			if (q == NULL ||
			    strcmp(q, valid_cases[i].qualified) != 0) {
				printf("FAIL qualify '%s': '%s'\n", in,
				    q ? q : "(null)");
				failed++;
			}
			free(q);
		}
	}
	/* length bound */
	memset(longaddr, 'a', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	n++;
	if (addr_valid(longaddr)) {
		printf("FAIL: over-long address accepted\n");
		failed++;
	}
	{
		struct collect c = {.len = 0};
		struct ms_err err;

		n++;
		if (addr_list_parse(longaddr, strlen(longaddr), collect_cb, &c,
			&err) != MS_DATA) {
			printf("FAIL: over-long address parsed\n");
			failed++;
		}
	}
	failed += test_limits(&n);
	failed += test_escape(&n);
	printf("%d of %d checks failed\n", failed, n);
	return failed == 0 ? 0 : 1;
}
