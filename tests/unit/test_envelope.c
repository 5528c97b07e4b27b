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
	{ "empty rcpt", "MAILSHIM-2\nid X\nfrom a@b\nrcpt c@d\nrcpt \n\n" },
	{ "bad escape", "MAILSHIM-2\nid X\nfrom a@b\nrcpt c%2@d\n\n" },
	{ "raw space in v2", "MAILSHIM-2\nid X\nfrom a@b\nrcpt \"c d\"@d\n\n" },
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
	state_free(&back);
	/* A refused text leaves nothing to free (state_parse frees it). */
	CHECK(state_parse(&back, "rcpt bogus 1 - a@b\n", 19, &err) == MS_DATA,
	    "bad status accepted");
	CHECK(state_parse(&back, "rcpt sent 1\n", 12, &err) == MS_DATA,
	    "short rcpt line accepted");
	state_free(&st);
	free(text);
}

/* A state holds up to STATE_MAX_RCPTS recipients, each once: a lookup
 * finds the entry it made (through every growth of the array), an
 * address read twice is one recipient whose last line wins, and one
 * recipient past the limit is refused. */
static void
test_state_many(void)
{
	struct msg_state st = { 0 }, back;
	struct ms_err err;
	char addr[64], *text;
	size_t len, bad = 0;
	const char twice[] = "rcpt deferred 1 - a@example.com 451 later\n"
			     "rcpt sent 2 - a@example.com 250 ok\n";

	for (size_t i = 0; i < STATE_MAX_RCPTS; i++) {
		snprintf(addr, sizeof(addr), "r%zu@example.net", i);
		bad += state_rcpt(&st, addr) == NULL;
	}
	CHECK(bad == 0 && st.nrcpt == STATE_MAX_RCPTS, "%zu refused, %zu kept",
	    bad, st.nrcpt);
	for (size_t i = 0; i < STATE_MAX_RCPTS; i += 7) {
		snprintf(addr, sizeof(addr), "r%zu@example.net", i);
		bad += state_rcpt(&st, addr) != &st.rcpts[i] ||
		    strcmp(st.rcpts[i].addr, addr) != 0;
	}
	CHECK(bad == 0 && st.nrcpt == STATE_MAX_RCPTS,
	    "%zu lookups missed their entry", bad);
	CHECK(state_rcpt(&st, "one-more@example.net") == NULL,
	    "a recipient past the limit was added");
	CHECK(state_set(&st, "r39999@example.net", RCPT_SENT, NULL, "250 ok", 9,
		  &err) == MS_OK &&
		st.rcpts[39999].status == RCPT_SENT,
	    "the last recipient not updated in place");
	CHECK(state_format(&st, &text, &len, &err) == MS_OK, "%s", err.msg);
	CHECK(state_parse(&back, text, len, &err) == MS_OK, "%s", err.msg);
	CHECK(back.nrcpt == STATE_MAX_RCPTS &&
		state_rcpt(&back, "r39999@example.net") == &back.rcpts[39999] &&
		back.rcpts[39999].status == RCPT_SENT,
	    "the full state did not come back whole");
	state_free(&back);
	free(text);
	state_free(&st);
	CHECK(state_parse(&st, twice, sizeof(twice) - 1, &err) == MS_OK, "%s",
	    err.msg);
	CHECK(st.nrcpt == 1 && st.rcpts[0].status == RCPT_SENT,
	    "an address read twice: %zu recipients", st.nrcpt);
	state_free(&st);
}

/* Every address the front end accepts survives the state file and the
 * envelope byte for byte (issue 14: "john doe" came back as "john). */
static const char *const odd_addrs[] = {
	"\"john doe\"@example.net",
	"\"a b c\"",
	"\"x@y> NOTIFY=NEVER\"@example.net",
	"\"100%\"@example.net",
	"first.last+tag@example.com",
	"j\xc3\xbcrgen@example.de",
	"\"q\\\"uote\"@example.org",
	"a@[192.0.2.1]",
};

static void
test_odd_addresses(void)
{
	struct msg_state st = { 0 }, back;
	struct envelope env = { .arrival = 1 }, eback;
	struct ms_err err;
	char *text;
	size_t len, used;

	for (size_t i = 0; i < MS_ARRAY_LEN(odd_addrs); i++) {
		CHECK(state_set(&st, odd_addrs[i],
			  i % 2 ? RCPT_SENT : RCPT_DEFERRED, "r", "250 ok", 7,
			  &err) == MS_OK,
		    "state_set %s: %s", odd_addrs[i], err.msg);
		CHECK(env_add_rcpt(&env, odd_addrs[i], &err) == MS_OK, "%s",
		    err.msg);
	}
	CHECK(state_format(&st, &text, &len, &err) == MS_OK, "%s", err.msg);
	CHECK(strncmp(text, "format 2\n", 9) == 0, "format line first");
	CHECK(strstr(text, "\"john%20doe\"@example.net 250 ok") != NULL,
	    "encoded by hand-readable percent escapes: %s", text);
	CHECK(state_parse(&back, text, len, &err) == MS_OK, "%s", err.msg);
	CHECK(back.nrcpt == MS_ARRAY_LEN(odd_addrs), "nrcpt %zu", back.nrcpt);
	for (size_t i = 0; i < back.nrcpt && i < MS_ARRAY_LEN(odd_addrs); i++) {
		CHECK_STR(back.rcpts[i].addr, odd_addrs[i], "state addr");
		CHECK(
		    back.rcpts[i].status == (i % 2 ? RCPT_SENT : RCPT_DEFERRED),
		    "status of %s", odd_addrs[i]);
	}
	state_free(&back);
	free(text);
	/* twice through the file: nothing grows, nothing is mangled */
	CHECK(state_format(&st, &text, &len, &err) == MS_OK, "%s", err.msg);
	CHECK(state_parse(&back, text, len, &err) == MS_OK, "%s", err.msg);
	state_free(&st);
	free(text);
	CHECK(state_format(&back, &text, &len, &err) == MS_OK, "%s", err.msg);
	state_free(&back);
	CHECK(state_parse(&back, text, len, &err) == MS_OK &&
		back.nrcpt == MS_ARRAY_LEN(odd_addrs),
	    "second round trip");
	state_free(&back);
	free(text);

	snprintf(env.id, sizeof(env.id), "0006652D1A2B3C4D5E6F70");
	env.sender = strdup("\"a b\"@example.com");
	CHECK(env_format(&env, &text, &len, &err) == MS_OK, "%s", err.msg);
	CHECK(strncmp(text, "MAILSHIM-2\n", 11) == 0, "magic");
	CHECK(
	    env_parse(&eback, text, len, &used, &err) == MS_OK, "%s", err.msg);
	CHECK_STR(eback.sender, "\"a b\"@example.com", "sender");
	for (size_t i = 0; i < eback.nrcpt && i < MS_ARRAY_LEN(odd_addrs); i++)
		CHECK_STR(eback.rcpts[i], odd_addrs[i], "envelope addr");
	env_free(&eback);
	env_free(&env);
	free(text);
}

/* Files written before the encoding (MAILSHIM-1, state without a format
 * line) still read, addresses as they are. */
static void
test_old_files(void)
{
	const char *e = "MAILSHIM-1\nid X\nuid 3\nfrom a%b@c\n"
			"rcpt x%20y@example.net\n\nbody";
	const char *s = "attempts 1\nlast 2\nnext 3\n"
			"rcpt sent 1 r a%41@example.net 250 ok\n";
	struct envelope env;
	struct msg_state st;
	struct ms_err err;
	size_t used;

	CHECK(
	    env_parse(&env, e, strlen(e), &used, &err) == MS_OK, "%s", err.msg);
	CHECK_STR(env.sender, "a%b@c", "old sender raw");
	CHECK_STR(env.rcpts[0], "x%20y@example.net", "old rcpt raw");
	env_free(&env);
	CHECK(state_parse(&st, s, strlen(s), &err) == MS_OK, "%s", err.msg);
	CHECK_STR(st.rcpts[0].addr, "a%41@example.net", "old state raw");
	state_free(&st);
	CHECK(state_parse(&st, "format 9\n", 9, &err) == MS_DATA,
	    "unknown format accepted");
	s = "format 2\nrcpt sent 1 - a%00b\n";
	CHECK(state_parse(&st, s, strlen(s), &err) == MS_DATA, "%%00 accepted");
	s = "format 2\nrcpt sent 1 - a%4\n";
	CHECK(state_parse(&st, s, strlen(s), &err) == MS_DATA,
	    "short escape accepted");
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
	test_state_many();
	test_odd_addresses();
	test_old_files();
	test_ids();
	return tap_done();
}
