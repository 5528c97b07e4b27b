/*
 * test_smtp_reply.c - table tests for smtp_reply.c: pairing libcurl's
 *                     transcript lines into per-command replies, AUTH
 *                     redaction, and the generic classifier.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"

static int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			failures++;                                            \
			printf("not ok: ");                                    \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

struct tcase {
	const char *name;
	/* lines: "> " ours, "< " the server's; '\n' separated */
	const char *script;
	int want_mail, want_data, want_dot;
	const char *want_rcpts; /* "250,550" */
	int want_fail;
	enum smtp_stage want_fail_stage;
	const char *want_dot_text; /* NULL: not checked */
	bool want_auth;
};

static const struct tcase cases[] = {
	{ "plain success",
	    "< 220 mx ESMTP\n> EHLO me\n< 250-mx\n< 250-SIZE 100\n< 250 "
	    "8BITMIME\n"
	    "> MAIL FROM:<a@x> SIZE=10\n< 250 ok\n> RCPT TO:<b@y>\n< 250 ok\n"
	    "> DATA\n< 354 go\n< 250 2.0.0 Ok: queued as ABC\n",
	    250, 354, 250, "250", 0, 0, "250 2.0.0 Ok: queued as ABC", false },
	{ "partial rcpt refusal",
	    "< 220 mx\n> EHLO me\n< 250 mx\n> MAIL FROM:<>\n< 250 ok\n"
	    "> RCPT TO:<b@y>\n< 550 5.1.1 no such user\n> RCPT TO:<c@y>\n"
	    "< 250 ok\n> RCPT TO:<d@y>\n< 451 4.3.0 try later\n> DATA\n"
	    "< 354 go\n< 250 sent\n",
	    250, 354, 250, "550,250,451", 550, SMTP_STAGE_RCPT, "250 sent",
	    false },
	{ "multi-line failure at end of data",
	    "< 220 mx\n> EHLO me\n< 250 mx\n> MAIL FROM:<a@x>\n< 250 ok\n"
	    "> RCPT TO:<b@y>\n< 250 ok\n> DATA\n< 354 go\n"
	    "< 554-5.7.1 rejected\n< 554-second line\n< 554 last line\n",
	    250, 354, 554, "250", 554, SMTP_STAGE_DOT,
	    "554 5.7.1 rejected second line last line", false },
	{ "refused at MAIL",
	    "< 220 mx\n> EHLO me\n< 250 mx\n> MAIL FROM:<a@x>\n"
	    "< 553 5.1.8 bad sender\n> QUIT\n< 221 bye\n",
	    553, 0, 0, "", 553, SMTP_STAGE_MAIL, NULL, false },
	{ "421 banner", "< 421 4.3.2 busy\n", 0, 0, 0, "", 421,
	    SMTP_STAGE_BANNER, NULL, false },
	{ "AUTH PLAIN refused",
	    "< 220 mx\n> EHLO me\n< 250-mx\n< 250 AUTH PLAIN LOGIN\n"
	    "> AUTH PLAIN AHVzZXIAc2VjcmV0\n< 535 5.7.8 bad credentials\n",
	    0, 0, 0, "", 535, SMTP_STAGE_AUTH, NULL, true },
	{ "AUTH LOGIN continuations",
	    "< 220 mx\n> EHLO me\n< 250 AUTH LOGIN\n> AUTH LOGIN\n"
	    "< 334 VXNlcm5hbWU6\n> dXNlcg==\n< 334 UGFzc3dvcmQ6\n"
	    "> c2VjcmV0\n< 235 ok\n> MAIL FROM:<a@x>\n< 250 ok\n"
	    "> RCPT TO:<b@y>\n< 250 ok\n> DATA\n< 354 go\n< 250 done\n",
	    250, 354, 250, "250", 0, 0, "250 done", true },
	{ "STARTTLS refused",
	    "< 220 mx\n> EHLO me\n< 250-mx\n< 250 STARTTLS\n> STARTTLS\n"
	    "< 454 4.7.0 TLS not available\n",
	    0, 0, 0, "", 454, SMTP_STAGE_STARTTLS, NULL, false },
	{ "garbage lines are ignored",
	    "< 220 mx\n> EHLO me\n< hello there\n< 25\n< 2x0 no\n< 250 mx\n"
	    "> MAIL FROM:<a@x>\n< 250 ok\n",
	    250, 0, 0, "", 0, 0, NULL, false },
	{ "proxy CONNECT before the banner",
	    "> CONNECT mx:25 HTTP/1.1\n> Proxy-Authorization: Basic c2VjcmV0\n"
	    "< HTTP/1.1 200 Connection established\n< \n< 220 mx\n"
	    "> EHLO me\n< 250 mx\n> MAIL FROM:<a@x>\n< 250 ok\n",
	    250, 0, 0, "", 0, 0, NULL, false },
	{ "reply code only",
	    "< 220\n> EHLO me\n< 250\n> MAIL FROM:<a@x>\n< 451\n", 451, 0, 0,
	    "", 451, SMTP_STAGE_MAIL, NULL, false },
	{ "data refused",
	    "< 220 mx\n> EHLO me\n< 250 mx\n> MAIL FROM:<a@x>\n< 250 ok\n"
	    "> RCPT TO:<b@y>\n< 250 ok\n> DATA\n< 452 4.3.1 no space\n",
	    250, 452, 0, "250", 452, SMTP_STAGE_DATA, NULL, false },
};

static char logbuf[8192];

static void
log_collect(char dir, const char *line, void *arg)
{
	size_t n = strlen(logbuf);

	(void)arg;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%c %s\n", dir, line);
}

/* Feeds the script; step 0 gives whole lines with CRLF, otherwise
 * chunks of step bytes. */
static void
run_script(struct smtp_transcript *t, const char *script, size_t step)
{
	const char *p = script;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		bool in = p[0] == '<';
		char line[2100];
		size_t ll;

		ll = (size_t)snprintf(
		    line, sizeof(line), "%.*s\r\n", (int)(len - 2), p + 2);
		if (step == 0) {
			smtp_transcript_feed(t, in, line, ll);
		} else {
			for (size_t i = 0; i < ll; i += step)
				smtp_transcript_feed(t, in, line + i,
				    ll - i < step ? ll - i : step);
		}
		p += len + (nl ? 1 : 0);
	}
}

static void
test_transcripts(void)
{
	static const size_t steps[] = { 0, 1, 7 };

	for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
		for (size_t s = 0; s < MS_ARRAY_LEN(steps); s++) {
			const struct tcase *c = &cases[i];
			struct smtp_transcript t;
			char got[256] = "";

			smtp_transcript_init(&t);
			logbuf[0] = '\0';
			t.log = log_collect;
			smtp_transcript_begin(&t);
			run_script(&t, c->script, steps[s]);
			for (size_t k = 0; k < t.nrcpt; k++) {
				size_t n = strlen(got);

				snprintf(got + n, sizeof(got) - n, "%s%d",
				    k ? "," : "", t.rcpt[k].code);
			}
			CHECK(t.mail.code == c->want_mail, "%s/%zu: mail %d",
			    c->name, steps[s], t.mail.code);
			CHECK(t.data.code == c->want_data, "%s/%zu: data %d",
			    c->name, steps[s], t.data.code);
			CHECK(t.dot.code == c->want_dot, "%s/%zu: dot %d",
			    c->name, steps[s], t.dot.code);
			CHECK(strcmp(got, c->want_rcpts) == 0,
			    "%s/%zu: rcpts %s", c->name, steps[s], got);
			CHECK(t.fail.code == c->want_fail, "%s/%zu: fail %d",
			    c->name, steps[s], t.fail.code);
			if (c->want_fail != 0)
				CHECK(t.fail.stage == c->want_fail_stage,
				    "%s/%zu: fail stage %s", c->name, steps[s],
				    smtp_stage_name(t.fail.stage));
			if (c->want_dot_text != NULL)
				CHECK(strcmp(t.dot.text, c->want_dot_text) == 0,
				    "%s/%zu: dot text '%s'", c->name, steps[s],
				    t.dot.text);
			CHECK(t.auth_sent == c->want_auth, "%s/%zu: auth_sent",
			    c->name, steps[s]);
			/* credentials never reach the log */
			CHECK(strstr(logbuf, "c2VjcmV0") == NULL &&
				strstr(logbuf, "dXNlcg==") == NULL &&
				strstr(logbuf, "AHVzZXIA") == NULL,
			    "%s/%zu: secret in log:\n%s", c->name, steps[s],
			    logbuf);
			smtp_transcript_free(&t);
		}
	}
}

static void
test_reuse_and_long_lines(void)
{
	struct smtp_transcript t;
	char big[5000];

	/* a second transaction on the same connection: no banner */
	smtp_transcript_init(&t);
	smtp_transcript_begin(&t);
	run_script(&t,
	    "< 220 mx\n> EHLO me\n< 250 mx\n> MAIL FROM:<a@x>\n"
	    "< 250 ok\n> RCPT TO:<b@y>\n< 250 ok\n> DATA\n< 354 go\n"
	    "< 250 one\n",
	    0);
	smtp_transcript_begin(&t);
	run_script(&t, "> MAIL FROM:<a@x>\n< 421 4.4.2 idle timeout\n", 0);
	CHECK(t.mail.code == 421 && t.fail.stage == SMTP_STAGE_MAIL &&
		t.dot.code == 0,
	    "second transaction: mail %d dot %d", t.mail.code, t.dot.code);
	/* the next connection starts with a banner again */
	smtp_transcript_reset_connection(&t);
	smtp_transcript_begin(&t);
	run_script(&t, "< 554 go away\n", 0);
	CHECK(t.fail.code == 554 && t.fail.stage == SMTP_STAGE_BANNER,
	    "new connection banner: %d %s", t.fail.code,
	    smtp_stage_name(t.fail.stage));

	/* an over-long reply line is cut, not overflowed */
	smtp_transcript_begin(&t);
	run_script(&t, "> MAIL FROM:<a@x>\n", 0);
	memset(big, 'x', sizeof(big));
	memcpy(big, "250 ", 4);
	smtp_transcript_feed(&t, true, big, sizeof(big));
	smtp_transcript_feed(&t, true, "\r\n", 2);
	CHECK(t.mail.code == 250 && strlen(t.mail.text) < SMTP_TEXT_MAX,
	    "long line: %d %zu", t.mail.code, strlen(t.mail.text));
	smtp_transcript_free(&t);
}

struct ccase {
	int code;
	enum smtp_stage stage;
	enum ms_status want;
	enum relay_health want_health;
};

static const struct ccase ccases[] = {
	{ 250, SMTP_STAGE_DOT, MS_OK, RELAY_FINE },
	{ 550, SMTP_STAGE_RCPT, MS_PERM, RELAY_FINE },
	{ 450, SMTP_STAGE_RCPT, MS_TEMP, RELAY_FINE },
	{ 553, SMTP_STAGE_MAIL, MS_PERM, RELAY_FINE },
	{ 451, SMTP_STAGE_MAIL, MS_TEMP, RELAY_FINE },
	{ 552, SMTP_STAGE_DOT, MS_PERM, RELAY_FINE },
	{ 554, SMTP_STAGE_DATA, MS_PERM, RELAY_FINE },
	{ 452, SMTP_STAGE_DOT, MS_TEMP, RELAY_FINE },
	{ 421, SMTP_STAGE_RCPT, MS_TEMP, RELAY_FAILED },
	{ 421, SMTP_STAGE_DOT, MS_TEMP, RELAY_FAILED },
	{ 530, SMTP_STAGE_MAIL, MS_TEMP, RELAY_FAILED },
	{ 554, SMTP_STAGE_BANNER, MS_TEMP, RELAY_FAILED },
	{ 550, SMTP_STAGE_EHLO, MS_TEMP, RELAY_FAILED },
	{ 535, SMTP_STAGE_AUTH, MS_TEMP, RELAY_FAILED },
	{ 454, SMTP_STAGE_STARTTLS, MS_TEMP, RELAY_FAILED },
	{ 0, SMTP_STAGE_CONNECT, MS_TEMP, RELAY_FAILED },
	{ 0, SMTP_STAGE_DOT, MS_TEMP, RELAY_FAILED },
	{ 354, SMTP_STAGE_MAIL, MS_TEMP, RELAY_FAILED },
	{ 699, SMTP_STAGE_RCPT, MS_TEMP, RELAY_FAILED },
};

static void
test_classify(void)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(ccases); i++) {
		const struct ccase *c = &ccases[i];
		struct smtp_class out;

		smtp_classify(c->code, "", c->stage, &out, NULL);
		CHECK(out.result == c->want && out.health == c->want_health,
		    "classify %d at %s: %s/%d", c->code,
		    smtp_stage_name(c->stage), ms_status_name(out.result),
		    (int)out.health);
	}
}

int
main(void)
{
	test_transcripts();
	test_reuse_and_long_lines();
	test_classify();
	if (failures == 0)
		printf("test_smtp_reply: all passed\n");
	return failures == 0 ? 0 : 1;
}
