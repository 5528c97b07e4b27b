/*
 * test_ticket.c - table tests for ticket.c: a from_parameter ticket (the
 *                 MailDelivery {"Host","Port","User","Pass"} layout, here
 *                 read from env:) gives what the config does not set;
 *                 keys match ignoring case and can be renamed; a missing
 *                 key, a wrong type and bad JSON are errors naming the
 *                 source and the key, never a value.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ticket.h"

#define SPEC "env:MS_TEST_TICKET"
#define PW   "Ticket-Pass-77aa"

struct tcase {
	const char *name;
	const char *json;
	const char *cfg_host, *cfg_user, *cfg_pass; /* config keys or NULL */
	long cfg_port;
	const char *rename[CONF_TICKET_NKEYS]; /* parameter_keys or NULL */
	enum ms_status want;
	const char *host, *user, *pass; /* want (NULL: not taken) */
	long port;
	const char *msg; /* piece of the error */
};

static const struct tcase cases[] = {
	{ "seed layout",
	    "{\"Host\":\"smtp.example.cn\",\"Port\":25,\"User\":\"u1\","
	    "\"Pass\":\"" PW "\"}",
	    NULL, NULL, NULL, 0, { NULL }, MS_OK, "smtp.example.cn", "u1", PW,
	    25, NULL },
	{ "any case, port as text",
	    "{\"HOST\":\"h\",\"port\":\"2525\",\"user\":\"u\",\"pASS\":\"" PW
	    "\"}",
	    NULL, NULL, NULL, 0, { NULL }, MS_OK, "h", "u", PW, 2525, NULL },
	{ "no port", "{\"Host\":\"h\",\"User\":\"u\",\"Pass\":\"" PW "\"}",
	    NULL, NULL, NULL, 0, { NULL }, MS_OK, "h", "u", PW, 0, NULL },
	{ "config wins",
	    "{\"Host\":\"h\",\"Port\":1,\"User\":\"u\",\"Pass\":\"" PW "\"}",
	    "cfg-host", "cfg-user", NULL, 587, { NULL }, MS_OK, NULL, NULL, PW,
	    0, NULL },
	{ "config password: no Pass needed", "{\"Host\":\"h\",\"User\":\"u\"}",
	    NULL, NULL, "file:/x", 0, { NULL }, MS_OK, "h", "u", NULL, 0,
	    NULL },
	{ "renamed keys",
	    "{\"Server\":\"h\",\"Port\":2,\"Login\":\"u\",\"Password\":\"" PW
	    "\"}",
	    NULL, NULL, NULL, 0, { "Server", NULL, "Login", "Password" }, MS_OK,
	    "h", "u", PW, 2, NULL },
	{ "missing Pass",
	    "{\"Host\":\"h\",\"User\":\"u\",\"Password\":\"" PW "\"}", NULL,
	    NULL, NULL, 0, { NULL }, MS_CONFIG, NULL, NULL, NULL, 0,
	    "relay t: from_parameter " SPEC
	    " has no key \"Pass\" (the password" },
	{ "missing Host", "{\"User\":\"u\",\"Pass\":\"" PW "\"}", NULL, NULL,
	    NULL, 0, { NULL }, MS_CONFIG, NULL, NULL, NULL, 0,
	    "has no key \"Host\"" },
	{ "renamed key missing",
	    "{\"Host\":\"h\",\"User\":\"u\",\"Pass\":\"" PW "\"}", NULL, NULL,
	    NULL, 0, { NULL, NULL, NULL, "Secret" }, MS_CONFIG, NULL, NULL,
	    NULL, 0, "has no key \"Secret\"" },
	{ "host not a string",
	    "{\"Host\":7,\"User\":\"u\",\"Pass\":\"" PW "\"}", NULL, NULL, NULL,
	    0, { NULL }, MS_CONFIG, NULL, NULL, NULL, 0,
	    "key \"Host\" is not a non-empty string" },
	{ "port out of range",
	    "{\"Host\":\"h\",\"Port\":70000,\"User\":\"u\",\"Pass\":\"" PW
	    "\"}",
	    NULL, NULL, NULL, 0, { NULL }, MS_CONFIG, NULL, NULL, NULL, 0,
	    "key \"Port\" is not a port number" },
	{ "port not digits",
	    "{\"Host\":\"h\",\"Port\":\"25x\",\"User\":\"u\",\"Pass\":\"" PW
	    "\"}",
	    NULL, NULL, NULL, 0, { NULL }, MS_CONFIG, NULL, NULL, NULL, 0,
	    "not a port number" },
	{ "bad JSON", "Host=h Pass=" PW, NULL, NULL, NULL, 0, { NULL },
	    MS_CONFIG, NULL, NULL, NULL, 0, "is not valid JSON (line 1)" },
	{ "not an object", "[\"" PW "\"]", NULL, NULL, NULL, 0, { NULL },
	    MS_CONFIG, NULL, NULL, NULL, 0, "is not a JSON object" },
};

static void
run(const struct tcase *c)
{
	static const char *const defaults[CONF_TICKET_NKEYS] = { "Host", "Port",
		"User", "Pass" };
	struct relay_conf rc;
	struct ticket t;
	struct ms_err err = { "" };
	enum ms_status st;

	memset(&rc, 0, sizeof(rc));
	rc.name = "t";
	rc.type = RELAY_SMTP;
	rc.from_parameter = SPEC;
	rc.host = (char *)c->cfg_host;
	rc.username = (char *)c->cfg_user;
	rc.password = (char *)c->cfg_pass;
	rc.port = c->cfg_port;
	for (int k = 0; k < CONF_TICKET_NKEYS; k++)
		rc.parameter_keys[k] =
		    (char *)(c->rename[k] != NULL ? c->rename[k] : defaults[k]);
	setenv("MS_TEST_TICKET", c->json, 1);
	st = ticket_load(&rc, &t, &err);
	CHECK(st == c->want, "%s: status %d (%s)", c->name, st, err.msg);
	if (st == MS_OK) {
		CHECK((c->host == NULL && t.host == NULL) ||
			(c->host != NULL && t.host != NULL &&
			    strcmp(t.host, c->host) == 0),
		    "%s: host %s", c->name, t.host ? t.host : "(null)");
		CHECK((c->user == NULL && t.user == NULL) ||
			(c->user != NULL && t.user != NULL &&
			    strcmp(t.user, c->user) == 0),
		    "%s: user %s", c->name, t.user ? t.user : "(null)");
		CHECK((c->pass == NULL && t.pass.value == NULL) ||
			(c->pass != NULL && t.pass.value != NULL &&
			    strcmp(t.pass.value, c->pass) == 0 &&
			    t.pass.len == strlen(c->pass)),
		    "%s: password", c->name);
		CHECK(t.port == c->port, "%s: port %ld", c->name, t.port);
		ticket_free(&t);
		CHECK(t.host == NULL && t.user == NULL && t.pass.value == NULL,
		    "%s: freed", c->name);
	} else {
		CHECK(strstr(err.msg, c->msg) != NULL,
		    "%s: message \"%s\" lacks \"%s\"", c->name, err.msg,
		    c->msg);
		CHECK(strstr(err.msg, PW) == NULL,
		    "%s: the password is in \"%s\"", c->name, err.msg);
		CHECK(strstr(err.msg, SPEC) != NULL,
		    "%s: the source is not named in \"%s\"", c->name, err.msg);
	}
}

int
main(void)
{
	struct relay_conf rc;
	struct ticket t;
	struct ms_err err = { "" };

	for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++)
		run(&cases[i]);
	/* A source that cannot be read: named, with the relay. */
	memset(&rc, 0, sizeof(rc));
	rc.name = "t";
	rc.from_parameter = "env:MS_TEST_TICKET_UNSET";
	unsetenv("MS_TEST_TICKET_UNSET");
	CHECK(ticket_load(&rc, &t, &err) == MS_CONFIG &&
		strstr(err.msg, "relay t: from_parameter: ") != NULL &&
		strstr(err.msg, "MS_TEST_TICKET_UNSET") != NULL,
	    "unreadable source: %s", err.msg);
	return tap_done();
}
