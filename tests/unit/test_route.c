/*
 * test_route.c - sender patterns, route choice, backoff schedule.
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "backoff.h"
#include "conf.h"
#include "route.h"
#include "tap.h"

static const struct {
	const char *pattern, *sender;
	int match;	/* 0 no, 1 yes */
} patterns[] = {
	{ "*@example.com", "a@example.com", 1 },
	{ "*@example.com", "a@EXAMPLE.com", 1 },
	{ "*@example.com", "a@dev.example.com", 0 },
	{ "*@*.example.com", "a@dev.example.com", 1 },
	{ "*@*.example.com", "a@example.com", 0 },
	{ "*@*.example.com", "a@badexample.com", 0 },
	{ "ops@example.com", "OPS@example.com", 1 },
	{ "ops@example.com", "ops2@example.com", 0 },
	{ "<>", "", 1 },
	{ "<>", "a@b", 0 },
	{ "*@example.com", "", 0 },
	{ "*", "anything@x", 1 },
	{ "root@*", "root@web-1.example.com", 1 },
	{ "root@*", "rooty@example.com", 0 },
	{ "*@example.com", "a@b@example.com", 1 },	/* invalid anyway */
};

static void
test_patterns(void)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(patterns); i++) {
		int s = route_pattern_score(patterns[i].pattern,
		    patterns[i].sender);

		CHECK((s > 0) == patterns[i].match, "%s vs %s: score %d",
		    patterns[i].pattern, patterns[i].sender, s);
	}
	/* Specificity: exact > domain > subdomain wildcard. */
	CHECK(route_pattern_score("a@x.example.com", "a@x.example.com") >
	    route_pattern_score("*@x.example.com", "a@x.example.com"), "exact");
	CHECK(route_pattern_score("*@x.example.com", "a@x.example.com") >
	    route_pattern_score("*@*.example.com", "a@x.example.com"),
	    "domain");
	CHECK(route_pattern_score("*@*.x.example.com", "a@y.x.example.com") >
	    route_pattern_score("*@*.example.com", "a@y.x.example.com"),
	    "longer suffix");
}

static void
test_pick(void)
{
	struct ms_conf conf;
	struct ms_err err;
	const char *text =
	    "relay \"capture\" { type = \"maildir\" path = \"/tmp/x\" }\n"
	    "relay \"ses\" { type = \"ses\" region = \"eu-west-1\" }\n"
	    "relay \"corp\" { type = \"smtp\" host = \"h\" }\n"
	    "route \"default\" { relays = {\"capture\"} }\n"
	    "route \"prod\" { senders = {\"*@example.com\", \"*@*.example.com\"}"
	    " relays = {\"ses\", \"corp\"} }\n"
	    "route \"dev\" { senders = {\"*@dev.example.com\"} relays = "
	    "{\"capture\"} }\n";
	char path[] = "/tmp/test_route_XXXXXX";
	int fd = mkstemp(path);
	const struct route_conf *rt;

	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text),
	    "temp file");
	close(fd);
	CHECK(conf_load(&conf, path, true, &err) == MS_OK, "%s", err.msg);
	unlink(path);
	rt = route_pick(&conf, "app@example.com");
	CHECK(rt != NULL && strcmp(rt->name, "prod") == 0, "prod");
	CHECK(rt != NULL && rt->nrelays == 2 &&
	    strcmp(rt->relays[1]->name, "corp") == 0, "failover order");
	rt = route_pick(&conf, "app@dev.example.com");
	CHECK(rt != NULL && strcmp(rt->name, "dev") == 0, "dev beats *.");
	rt = route_pick(&conf, "app@preview.example.com");
	CHECK(rt != NULL && strcmp(rt->name, "prod") == 0, "subdomain");
	rt = route_pick(&conf, "root@web-1.internal");
	CHECK(rt != NULL && strcmp(rt->name, "default") == 0, "default");
	rt = route_pick(&conf, "");
	CHECK(rt != NULL && strcmp(rt->name, "default") == 0, "null sender");
	conf_free(&conf);
}

/* A route's users list: names or numeric uids; others fall through. */
static void
test_users(void)
{
	struct ms_conf conf;
	struct ms_err err;
	const char *text =
	    "relay \"capture\" { type = \"maildir\" path = \"/tmp/x\" }\n"
	    "relay \"web\" { type = \"maildir\" path = \"/tmp/y\" }\n"
	    "route \"default\" { relays = {\"capture\"} }\n"
	    "route \"web\" { senders = {\"*@example.com\"} users = "
	    "{\"root\", \"4242\"} relays = {\"web\"} }\n"
	    "route \"ops\" { senders = {\"ops@example.com\"} users = "
	    "{\"no-such-user-x\"} relays = {\"web\"} }\n";
	char path[] = "/tmp/test_route_XXXXXX";
	int fd = mkstemp(path);
	const struct route_conf *rt;

	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text),
	    "temp file");
	close(fd);
	CHECK(conf_load(&conf, path, true, &err) == MS_OK, "%s", err.msg);
	unlink(path);
	rt = route_pick_user(&conf, "app@example.com", 0);
	CHECK(rt != NULL && strcmp(rt->name, "web") == 0, "root by name");
	rt = route_pick_user(&conf, "app@example.com", 4242);
	CHECK(rt != NULL && strcmp(rt->name, "web") == 0, "uid 4242");
	rt = route_pick_user(&conf, "app@example.com", 4243);
	CHECK(rt != NULL && strcmp(rt->name, "default") == 0,
	    "other uid falls to default");
	rt = route_pick_user(&conf, "ops@example.com", 0);
	CHECK(rt != NULL && strcmp(rt->name, "web") == 0,
	    "unknown name allows nobody: next best route");
	rt = route_pick(&conf, "ops@example.com");
	CHECK(rt != NULL && strcmp(rt->name, "ops") == 0,
	    "route_pick ignores users");
	for (int i = 0; i < conf.nroutes; i++)
		if (strcmp(conf.routes[i].name, "default") == 0)
			CHECK(route_allows(&conf.routes[i], 12345),
			    "no list: everyone");
	conf_free(&conf);

	text = "relay \"c\" { type = \"maildir\" path = \"/tmp/x\" }\n"
	       "route \"default\" { users = {\"a b\"} relays = {\"c\"} }\n";
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text),
	    "temp file");
	close(fd);
	CHECK(conf_load(&conf, path, true, &err) == MS_CONFIG &&
		strstr(err.msg, ":2: route \"default\": bad user") != NULL,
	    "bad entry: %s", err.msg);
	unlink(path);
}

static void
test_backoff(void)
{
	long prev = 0;

	/* Without jitter (unit 0.5 gives factor 1.0): 300, 600, ... 4020. */
	CHECK(backoff_delay(300, 4020, 1, 0.5) == 300, "first");
	CHECK(backoff_delay(300, 4020, 2, 0.5) == 600, "second");
	CHECK(backoff_delay(300, 4020, 4, 0.5) == 2400, "fourth");
	CHECK(backoff_delay(300, 4020, 5, 0.5) == 4020, "capped");
	CHECK(backoff_delay(300, 4020, 50, 0.99) == 4020, "never above max");
	for (int a = 1; a <= 4; a++) {
		long d = backoff_delay(300, 100000, a, 0.5);

		CHECK(d > prev, "attempt %d: %ld not above %ld", a, d, prev);
		prev = d;
	}
	/* Jitter: the same attempt spreads over [0.75, 1.25). */
	CHECK(backoff_delay(300, 4020, 1, 0.0) == 225, "low jitter");
	CHECK(backoff_delay(300, 4020, 1, 0.999) >= 374, "high jitter");
}

int
main(void)
{
	test_patterns();
	test_pick();
	test_users();
	test_backoff();
	return tap_done();
}
