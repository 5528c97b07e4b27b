/*
 * test_conf_oom.c - conf_load() when memory runs out: every allocation
 *                   the loader makes itself fails in turn (the first,
 *                   then the second, ... until a load makes no more),
 *                   over a configuration that uses every kind of section
 *                   and list. Each load either fails with MS_TEMP and
 *                   "out of memory" (style.md: allocation failure is
 *                   MS_TEMP) or, when no allocation failed, loads the
 *                   whole file. Never a crash, never a configuration
 *                   with a value silently missing.
 *
 * How:    linked with -Wl,--wrap for malloc, calloc, realloc and strdup
 *         (tests/core.mk): the references of our own objects go through
 *         the __wrap_ functions below; libconfuse's own allocations (a
 *         shared library) are not counted. Under ASan the __real_
 *         functions are ASan's.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static long alloc_count; /* allocations since the count was reset */
static long fail_at;	 /* fail this one (1-based); 0 = none */
static bool failed;	 /* the failure was injected */

static bool
inject(void)
{
	if (fail_at > 0 && ++alloc_count == fail_at) {
		failed = true;
		return true;
	}
	return false;
}

void *
__wrap_malloc(size_t n)
{
	return inject() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return inject() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return inject() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return inject() ? NULL : __real_strdup(s);
}

/* Every section kind and list the loader copies: relays of each type
 * with their optional strings, a ticket with parameter_keys, routes with
 * senders, tags and users, a pull; hostname and domain unset so that
 * the loader makes them itself. */
static const char conf_text[] =
    "spool = \"/var/spool/mailshim\"\n"
    "aliases = \"/etc/aliases\"\n"
    "catchall = \"root\"\n"
    "dead_notify = \"postmaster\"\n"
    "smtpd_users = \"/etc/mailshim/smtpd-users\"\n"
    "relay \"box\" { type = \"maildir\" path = \"/var/mail/box\" }\n"
    "relay \"corp\" {\n"
    "  type = \"smtp\" host = \"smtp.example.com\" tls = \"starttls\"\n"
    "  ca_file = \"/etc/ssl/ca.pem\" tls_name = \"mx.example.com\"\n"
    "  tls_cert = \"/etc/ssl/client.pem\" tls_key = \"file:/etc/ssl/k\"\n"
    "  username = \"u\" password = \"env:PW\" helo = \"h.example.com\"\n"
    "  proxy = \"socks5h://127.0.0.1:1080\"\n"
    "}\n"
    "relay \"ticket\" {\n"
    "  type = \"smtp\" from_parameter = \"ssm:/mail/ticket\"\n"
    "  parameter_keys = {\"host=Server\", \"pass=Secret\"}\n"
    "}\n"
    "relay \"oauth\" {\n"
    "  type = \"smtp\" host = \"smtp.example.org\" auth = \"xoauth2\"\n"
    "  username = \"me@example.org\"\n"
    "  oauth2_token_url = \"https://login.example.org/token\"\n"
    "  client_id = \"id\" client_secret = \"env:CS\" scope = \"mail\"\n"
    "}\n"
    "relay \"ses\" {\n"
    "  type = \"ses\" region = \"eu-west-1\" transport = \"api\"\n"
    "  endpoint = \"email.eu-west-1.amazonaws.com\"\n"
    "  role_arn = \"arn:aws:iam::123456789012:role/mail\"\n"
    "  external_id = \"x\" credentials = \"env:AWS\"\n"
    "  configuration_set = \"cs\"\n"
    "}\n"
    "relay \"sqs\" {\n"
    "  type = \"sqs\" queue = \"mail\" region = \"eu-west-1\"\n"
    "  s3_bucket = \"bodies\" s3_prefix = \"in/\"\n"
    "}\n"
    "route \"ops\" {\n"
    "  senders = {\"*@ops.example.com\", \"cron@*\"}\n"
    "  relays = {\"corp\", \"ses\"}\n"
    "  rewrite_sender = \"ops@example.com\"\n"
    "  tags = {\"team=ops\", \"kind=alert\"}\n"
    "  configuration_set = \"ops\"\n"
    "  users = {\"root\", \"1000\"}\n"
    "}\n"
    "route \"default\" { relays = {\"box\", \"ticket\", \"oauth\", "
    "\"sqs\"} }\n"
    "pull \"in\" {\n"
    "  queue_url = \"https://sqs.eu-west-1.amazonaws.com/1/in\"\n"
    "  region = \"eu-west-1\" credentials = \"env:AWS\"\n"
    "  ca_file = \"/etc/ssl/ca.pem\"\n"
    "}\n";

/* What a whole load must hold (a sample of every kind of copy). */
static void
check_whole(const struct ms_conf *c)
{
	CHECK(c->nrelays == 6 && c->nroutes == 2 && c->npulls == 1,
	    "%d relays, %d routes, %d pulls", c->nrelays, c->nroutes,
	    c->npulls);
	if (c->nrelays != 6 || c->nroutes != 2 || c->npulls != 1)
		return;
	CHECK(c->hostname != NULL && c->domain != NULL, "hostname, domain");
	CHECK_STR(c->relays[1].proxy, "socks5h://127.0.0.1:1080", "proxy");
	CHECK_STR(c->relays[2].parameter_keys[0], "Server", "ticket host");
	CHECK_STR(c->relays[2].parameter_keys[2], "User", "ticket user");
	CHECK_STR(c->relays[3].scope, "mail", "scope");
	CHECK_STR(c->relays[4].external_id, "x", "external_id");
	CHECK_STR(c->relays[5].s3_prefix, "in/", "s3_prefix");
	CHECK_STR(c->routes[0].senders[1], "cron@*", "sender");
	CHECK_STR(c->routes[0].tags[1], "kind=alert", "tag");
	CHECK_STR(c->routes[0].users[1], "1000", "user");
	CHECK(c->routes[1].nrelays == 4 && c->routes[1].relays[3] != NULL,
	    "default route's relays");
	CHECK_STR(c->pulls[0].ca_file, "/etc/ssl/ca.pem", "pull ca_file");
}

int
main(void)
{
	char path[] = "/tmp/test_conf_oom.XXXXXX";
	int fd = mkstemp(path);
	long loads = 0;

	CHECK(fd >= 0 && write(fd, conf_text, sizeof(conf_text) - 1) ==
		    (ssize_t)(sizeof(conf_text) - 1),
	    "write %s", path);
	if (fd >= 0)
		close(fd);
	/* Fail the 1st allocation, then the 2nd, ... until a load makes
	 * fewer allocations than the one to fail: that load is whole. */
	for (fail_at = 1; fail_at < 10000; fail_at++) {
		struct ms_conf conf;
		struct ms_err err;
		enum ms_status st;

		alloc_count = 0;
		failed = false;
		st = conf_load(&conf, path, true, &err);
		loads++;
		if (!failed) {
			CHECK(st == MS_OK, "no failure injected: %s", err.msg);
			if (st == MS_OK) {
				check_whole(&conf);
				conf_free(&conf);
			}
			break;
		}
		CHECK(st == MS_TEMP && strstr(err.msg, "out of memory") != NULL,
		    "allocation %ld failed: status %d, \"%s\"", fail_at,
		    (int)st, st == MS_OK ? "(loaded)" : err.msg);
		if (st == MS_OK)
			conf_free(&conf);
	}
	CHECK(loads > 50, "only %ld loads: the loader's allocations are not "
			  "counted",
	    loads);
	fail_at = 0;
	unlink(path);
	printf("%ld loads\n", loads);
	return tap_done();
}
