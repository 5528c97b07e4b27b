/*
 * test_masq.c - table tests for lib/masq.c: envelope senders and From:
 *               header values of local users take the configured domain.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masq.h"

static const struct sender_case {
	const char *name;
	const char *in;
	const char *domain;
	const char *want;
} sender_cases[] = {
	{ "bare name", "www-data", "example.com", "www-data@example.com" },
	{ "localhost", "root@localhost", "example.com", "root@example.com" },
	{ "localhost.localdomain", "root@LocalHost.LocalDomain", "example.com",
	    "root@example.com" },
	{ "hostname", "root@web-1.example.com", "example.com",
	    "root@example.com" },
	{ "hostname any case", "root@WEB-1.Example.COM", "example.com",
	    "root@example.com" },
	{ "short hostname", "cron@web-1", "example.com", "cron@example.com" },
	{ "other host of the domain", "root@web-2.example.com", "example.com",
	    "root@web-2.example.com" },
	{ "domain already", "root@example.com", "example.com",
	    "root@example.com" },
	{ "other domain", "bounce@example.org", "example.com",
	    "bounce@example.org" },
	{ "null sender", "", "example.com", "" },
	{ "null sender brackets", "<>", "example.com", "" },
	{ "quoted local part", "\"john doe\"@localhost", "example.com",
	    "\"john doe\"@example.com" },
	{ "quoted local part with at", "\"a@b\"", "example.com",
	    "\"a@b\"@example.com" },
	{ "no domain configured", "root", NULL, "root" },
	{ "empty domain configured", "root@localhost", "", "root@localhost" },
	{ "domain is the hostname", "root@web-1.example.com",
	    "web-1.example.com", "root@web-1.example.com" },
	{ "invalid address untouched", "a b@localhost", "example.com",
	    "a b@localhost" },
	{ "only at localhost", "@localhost", "example.com", "@localhost" },
};

static const struct from_case {
	const char *name;
	const char *in;
	const char *want;
} from_cases[] = {
	{ "cron", "root (Cron Daemon)", "root@example.com (Cron Daemon)" },
	{ "leading space kept", " root (Cron Daemon)",
	    " root@example.com (Cron Daemon)" },
	{ "display name", "Cron Daemon <root@web-1>",
	    "Cron Daemon <root@example.com>" },
	{ "quoted display name with comma", "\"Doe, J\" <www-data>",
	    "\"Doe, J\" <www-data@example.com>" },
	{ "quoted name with brackets inside", "\"x <root> y\" <root@localhost>",
	    "\"x <root> y\" <root@example.com>" },
	{ "bare", "www-data", "www-data@example.com" },
	{ "bare localhost", "www-data@localhost", "www-data@example.com" },
	{ "foreign untouched", "Jane <jane@example.org>",
	    "Jane <jane@example.org>" },
	{ "domain untouched", "noreply@example.com", "noreply@example.com" },
	{ "two mailboxes", "root, Jane <jane@localhost>",
	    "root@example.com, Jane <jane@example.com>" },
	{ "spaces in brackets", "Ops < ops@web-1 >",
	    "Ops < ops@example.com >" },
	{ "folded", "Cron Daemon\r\n <root>",
	    "Cron Daemon\r\n <root@example.com>" },
	{ "comment with comma", "root (a, b)", "root@example.com (a, b)" },
	{ "nested comment", "(x (y)) root", "(x (y)) root@example.com" },
	{ "encoded word name", "=?UTF-8?B?w6k=?= <www-data>",
	    "=?UTF-8?B?w6k=?= <www-data@example.com>" },
	{ "group untouched", "team: root, bob;", "team: root, bob;" },
	{ "words without brackets untouched", "Cron Daemon", "Cron Daemon" },
	{ "empty", "", "" },
	{ "empty brackets", "<>", "<>" },
	{ "unterminated bracket", "Ops <root", "Ops <root" },
	{ "unterminated quote", "\"Ops <root>", "\"Ops <root>" },
	{ "unterminated comment", "root (Cron", "root@example.com (Cron" },
	{ "quoted local part in brackets", "X <\"a>b\"@localhost>",
	    "X <\"a>b\"@example.com>" },
	{ "trailing comma", "root,", "root@example.com," },
};

int
main(void)
{
	int failures = 0;

	for (size_t i = 0; i < MS_ARRAY_LEN(sender_cases); i++) {
		const struct sender_case *c = &sender_cases[i];
		char *out = NULL;
		enum ms_status st =
		    masq_sender(c->in, c->domain, "web-1.example.com", &out);

		if (st != MS_OK || out == NULL || strcmp(out, c->want) != 0) {
			printf("FAIL sender %s: got [%s] want [%s]\n", c->name,
			    out ? out : "(null)", c->want);
			failures++;
		}
		free(out);
	}
	for (size_t i = 0; i < MS_ARRAY_LEN(from_cases); i++) {
		const struct from_case *c = &from_cases[i];
		char *out = NULL;
		enum ms_status st = masq_header_from(
		    c->in, "example.com", "web-1.example.com", &out);

		if (st != MS_OK || out == NULL || strcmp(out, c->want) != 0) {
			printf("FAIL from %s: got [%s] want [%s]\n", c->name,
			    out ? out : "(null)", c->want);
			failures++;
		}
		free(out);
	}
	if (!masq_is_local_domain(NULL, NULL) ||
	    masq_is_local_domain("web-1", NULL) ||
	    !masq_is_local_domain("localhost", NULL)) {
		printf("FAIL masq_is_local_domain\n");
		failures++;
	}
	printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
	return failures == 0 ? 0 : 1;
}
