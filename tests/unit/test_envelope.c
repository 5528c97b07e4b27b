/*
 * test_envelope.c - envelope and state text: round trips, and damaged
 *                   input refused with MS_DATA (never a crash).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "spool.h"
#include "tap.h"

static void
test_roundtrip(void)
{
	struct envelope env = { .arrival = 1795000000, .uid = 33 };
	struct envelope back;
	struct ms_err err;
	char *text;
	size_t len, used;

	snprintf(env.id, sizeof(env.id), "0006652D1A2B3C4D5E6F70");
	env.user = strdup("www-data");
	env.sender = strdup("");
	env_add_rcpt(&env, "root", &err);
	env_add_rcpt(&env, "a@example.com", &err);
	env_add_opt(&env, "B=8BITMIME", &err);
	CHECK(env_format(&env, &text, &len, &err) == MS_OK, "%s", err.msg);
	text = realloc(text, len + 5);
	memcpy(text + len, "BODY", 5);
	CHECK(env_parse(&back, text, len + 4, &used, &err) == MS_OK, "%s",
	    err.msg);
	CHECK(used == len, "used %zu len %zu", used, len);
	CHECK_STR(back.id, env.id, "id");
	CHECK(back.arrival == 1795000000 && back.uid == 33, "numbers");
	CHECK_STR(back.sender, "", "null sender");
	CHECK(back.nrcpt == 2, "nrcpt %zu", back.nrcpt);
	CHECK_STR(back.rcpts[0], "root", "rcpt 0");
	CHECK_STR(env_opt(&back, "B"), "8BITMIME", "opt B");
	CHECK(env_opt(&back, "N") == NULL, "no opt N");
	env_free(&back);
	env_free(&env);
	free(text);
}

static const struct {
	const char *name;
	const char *text;
} bad_envelopes[] = {
	{ "empty", "" },
	{ "foreign", "hello world\n\n" },
	{ "no blank line", "MAILSHIM-1\nid X\nfrom a@b\nrcpt c@d\n" },
	{ "no recipients", "MAILSHIM-1\nid X\nfrom a@b\n\n" },
	{ "no sender", "MAILSHIM-1\nid X\nrcpt c@d\n\n" },
	{ "bad time", "MAILSHIM-1\nid X\ntime x\nfrom a@b\nrcpt c@d\n\n" },
	{ "negative uid", "MAILSHIM-1\nid X\nuid -4\nfrom a@b\nrcpt c@d\n\n" },
	{ "CR in rcpt", "MAILSHIM-1\nid X\nfrom a@b\nrcpt c@d\rX\n\n" },
	{ "opt without =", "MAILSHIM-1\nid X\nfrom a@b\nrcpt c@d\nopt x\n\n" },
};

static void
test_bad(void)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(bad_envelopes); i++) {
		struct envelope env;
		struct ms_err err;
		size_t used;
		const char *t = bad_envelopes[i].text;

		CHECK(env_parse(&env, t, strlen(t), &used, &err) == MS_DATA,
		    "%s accepted", bad_envelopes[i].name);
	}
}

static void
test_state(void)
{
	struct msg_state st = { .attempts = 3, .next_try = 1795000100 };
	struct msg_state back;
	struct ms_err err;
	char *text;
	size_t len;

	state_set(&st, "a@example.com", RCPT_SENT, "ses-eu", "250 Ok 0100abc",
	    1795000000, &err);
	state_set(&st, "b@example.com", RCPT_DEFERRED, NULL,
	    "454 Throttling failure:\nMaximum sending rate", 1795000001, &err);
	state_set(&st, "c@example.com", RCPT_DEAD, "corp", NULL, 5, &err);
	st.reason = strdup("454 Throttling failure");
	CHECK(state_format(&st, &text, &len, &err) == MS_OK, "%s", err.msg);
	CHECK(state_parse(&back, text, len, &err) == MS_OK, "%s", err.msg);
	CHECK(back.attempts == 3 && back.next_try == 1795000100, "numbers");
	CHECK(back.nrcpt == 3, "nrcpt %zu", back.nrcpt);
	CHECK(back.rcpts[0].status == RCPT_SENT, "sent");
	CHECK_STR(back.rcpts[0].reply, "250 Ok 0100abc", "reply kept");
	CHECK_STR(back.rcpts[1].reply,
	    "454 Throttling failure: Maximum sending rate", "newline folded");
	CHECK(back.rcpts[1].relay == NULL, "no relay");
	CHECK(back.rcpts[2].status == RCPT_DEAD && back.rcpts[2].reply == NULL,
	    "dead without reply");
	CHECK_STR(back.reason, "454 Throttling failure", "reason");
	CHECK(state_parse(&back, "rcpt bogus 1 - a@b\n", 19, &err) == MS_DATA,
	    "bad status accepted");
	CHECK(state_parse(&back, "rcpt sent 1\n", 12, &err) == MS_DATA,
	    "short rcpt line accepted");
	CHECK(state_set(&st, "a b@c", RCPT_SENT, NULL, NULL, 0, &err) != MS_OK,
	    "address with a space accepted");
	state_free(&st);
	free(text);
}

static void
test_ids(void)
{
	char a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1];
	struct ms_err err;

	CHECK(spool_make_id(a, &err) == MS_OK, "%s", err.msg);
	CHECK(spool_make_id(b, &err) == MS_OK, "%s", err.msg);
	CHECK(strlen(a) == SPOOL_ID_LEN && spool_id_valid(a), "id %s", a);
	CHECK(strcmp(a, b) != 0, "ids repeat");
	CHECK(strncmp(a, b, 14) <= 0, "ids do not sort by time: %s %s", a, b);
	CHECK(!spool_id_valid("../../etc/passwd"), "path accepted");
	CHECK(!spool_id_valid("0006652D1A2B3C4D5E6F7"), "short accepted");
	CHECK(!spool_id_valid("0006652d1a2b3c4d5e6f70"), "lower case accepted");
}

int
main(void)
{
	test_roundtrip();
	test_bad();
	test_state();
	test_ids();
	return tap_done();
}
