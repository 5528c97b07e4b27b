/*
 * test_ses_reply.c - SES reply classification (domain.md 4), message ids
 *                    and the "not verified" operator hint.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ses_check.h"
#include "ses_reply.h"

#define T true
#define F false

static const struct {
	const char *name;
	int code;
	const char *text;
	enum ses_stage stage;
	enum ses_kind kind;
	enum ms_status result;
	enum relay_health health;
	bool no_count, reconnect, slow, alert, whole;
	long min_hold;
} cases[] = {
	{ "accepted", 250, "250 Ok 0100018d-abc-000000", SES_STAGE_DATA,
	    SES_K_OK, MS_OK, RELAY_FINE, F, F, F, F, T, 0 },
	{ "max count", 421,
	    "421 Connection closed by server. Maximum message "
	    "count per session reached.",
	    SES_STAGE_MAIL, SES_K_RECONNECT, MS_TEMP, RELAY_FINE, T, T, F, F, T,
	    0 },
	{ "idle 421", 421, "Timeout waiting for data from client.",
	    SES_STAGE_MAIL, SES_K_RECONNECT, MS_TEMP, RELAY_FINE, T, T, F, F, T,
	    0 },
	{ "451 4.4.2", 451, "451 4.4.2 Timeout waiting for data from client.",
	    SES_STAGE_DATA, SES_K_RECONNECT, MS_TEMP, RELAY_FINE, T, T, F, F, T,
	    0 },
	{ "concurrency", 421, "421 Too many concurrent SMTP connections",
	    SES_STAGE_CONNECT, SES_K_CONCURRENCY, MS_TEMP, RELAY_FAILED, T, F,
	    F, F, T, 30 },
	{ "throttle", 454,
	    "454 Throttling failure: Maximum sending rate "
	    "exceeded.",
	    SES_STAGE_RCPT, SES_K_THROTTLE, MS_TEMP, RELAY_FINE, T, F, T, F, T,
	    0 },
	{ "throttle at DATA", 454,
	    "Throttling failure: Maximum sending rate "
	    "exceeded.",
	    SES_STAGE_DATA, SES_K_THROTTLE, MS_TEMP, RELAY_FINE, T, F, T, F, T,
	    0 },
	{ "daily quota", 454,
	    "454 Throttling failure: Daily message quota "
	    "exceeded.",
	    SES_STAGE_DATA, SES_K_QUOTA, MS_TEMP, RELAY_HOLD, T, F, F, T, T,
	    1800 },
	{ "temp auth", 454, "454 Temporary authentication failure",
	    SES_STAGE_AUTH, SES_K_TEMP, MS_TEMP, RELAY_FINE, F, F, F, F, T, 0 },
	{ "temp service 454", 454, "454 Temporary service failure",
	    SES_STAGE_DATA, SES_K_TEMP, MS_TEMP, RELAY_FINE, F, F, F, F, T, 0 },
	{ "temp service 451", 451, "451 Temporary service failure",
	    SES_STAGE_MAIL, SES_K_TEMP, MS_TEMP, RELAY_FINE, F, F, F, F, T, 0 },
	{ "530 auth required", 530, "530 Authentication required",
	    SES_STAGE_MAIL, SES_K_AUTH, MS_TEMP, RELAY_FAILED, T, F, F, T, T,
	    1800 },
	{ "530 starttls", 530, "530 Must issue a STARTTLS command first",
	    SES_STAGE_AUTH, SES_K_TLS, MS_TEMP, RELAY_FAILED, T, F, F, T, T,
	    1800 },
	{ "535 bad creds", 535, "535 Authentication Credentials Invalid",
	    SES_STAGE_AUTH, SES_K_AUTH, MS_TEMP, RELAY_FAILED, T, F, F, T, T,
	    1800 },
	{ "535 not subscribed", 535, "535 Account not subscribed to SES",
	    SES_STAGE_AUTH, SES_K_AUTH, MS_TEMP, RELAY_FAILED, T, F, F, T, T,
	    1800 },
	{ "552", 552, "552 Message is too long.", SES_STAGE_DATA, SES_K_TOO_BIG,
	    MS_PERM, RELAY_FINE, F, F, F, F, T, 0 },
	{ "553 rcpt", 553, "553 <a@b> Invalid email address", SES_STAGE_RCPT,
	    SES_K_BAD_ADDR, MS_PERM, RELAY_FINE, F, F, F, F, F, 0 },
	{ "553 sender", 553, "553 <a@> address unknown", SES_STAGE_MAIL,
	    SES_K_BAD_ADDR, MS_PERM, RELAY_FINE, F, F, F, F, T, 0 },
	{ "access denied", 554,
	    "554 Access denied: User arn:aws:iam::1:user/x "
	    "is not authorized to perform ses:SendRawEmail on resource arn:x",
	    SES_STAGE_DATA, SES_K_ACCESS, MS_TEMP, RELAY_HOLD, T, F, F, T, T,
	    1800 },
	{ "not verified", 554,
	    "554 Message rejected: Email address is not "
	    "verified. The following identities failed the check in region "
	    "EU-WEST-1: a@x.com",
	    SES_STAGE_DATA, SES_K_UNVERIFIED, MS_PERM, RELAY_FINE, F, F, F, F,
	    T, 0 },
	{ "paused", 554,
	    "554 Message rejected: Sending paused for this "
	    "account. For more information, please check the inbox of the "
	    "email "
	    "address associated with your AWS account.",
	    SES_STAGE_DATA, SES_K_PAUSED, MS_TEMP, RELAY_HOLD, T, F, F, T, T,
	    3600 },
	{ "suspended", 554, "554 Account suspended", SES_STAGE_MAIL,
	    SES_K_PAUSED, MS_TEMP, RELAY_HOLD, T, F, F, T, T, 3600 },
	{ "other rejected", 554,
	    "554 Message rejected: attachment type not "
	    "allowed",
	    SES_STAGE_DATA, SES_K_PERM, MS_PERM, RELAY_FINE, F, F, F, F, T, 0 },
	{ "transaction failed", 554,
	    "554 Transaction failed: User name is "
	    "missing: 'AKIAX'",
	    SES_STAGE_DATA, SES_K_PERM, MS_PERM, RELAY_FINE, F, F, F, F, T, 0 },
	{ "too many rcpts", 554, "554 Recipient count exceeds 50.",
	    SES_STAGE_RCPT, SES_K_TOO_MANY, MS_TEMP, RELAY_FINE, F, F, F, F, T,
	    0 },
	{ "550 at RCPT", 550, "550 no", SES_STAGE_RCPT, SES_K_PERM, MS_PERM,
	    RELAY_FINE, F, F, F, F, F, 0 },
	{ "450 at RCPT", 450, "450 later", SES_STAGE_RCPT, SES_K_TEMP, MS_TEMP,
	    RELAY_FINE, F, F, F, F, F, 0 },
	{ "5xx at EHLO", 554, "554 go away", SES_STAGE_EHLO, SES_K_RELAY_ERR,
	    MS_TEMP, RELAY_FAILED, T, F, F, F, T, 60 },
	{ "no reply", 0, "connection refused", SES_STAGE_CONNECT,
	    SES_K_RELAY_ERR, MS_TEMP, RELAY_FAILED, T, F, F, F, T, 60 },
	{ "NULL text", 554, NULL, SES_STAGE_DATA, SES_K_PERM, MS_PERM,
	    RELAY_FINE, F, F, F, F, T, 0 },
	{ "case", 454, "THROTTLING FAILURE: MAXIMUM SENDING RATE EXCEEDED",
	    SES_STAGE_DATA, SES_K_THROTTLE, MS_TEMP, RELAY_FINE, T, F, T, F, T,
	    0 },
};

static const struct {
	const char *name, *text, *want;
	bool ok;
} ids[] = {
	{ "full",
	    "250 Ok 0100018d1e2f3a4b-5c6d7e8f-aaaa-bbbb-cccc-"
	    "123456789012-000000",
	    "0100018d1e2f3a4b-5c6d7e8f-aaaa-bbbb-cccc-"
	    "123456789012-000000",
	    true },
	{ "no code", "Ok 0102-abc-000000", "0102-abc-000000", true },
	{ "enhanced", "250 2.0.0 Ok abc-1", "abc-1", true },
	{ "trailing", "250 Ok abc-1 queued", "abc-1", true },
	{ "plain ok", "250 Ok", "", false },
	{ "other", "250 queued as 1234", "", false },
	{ "null", NULL, "", false },
};

static const struct {
	const char *name, *text, *sender, *want;
} hints[] = {
	{ "sender",
	    "554 Message rejected: Email address is not verified. The "
	    "following identities failed the check in region EU-WEST-1: "
	    "app@example.com",
	    "app@example.com",
	    "sender app@example.com is not verified in SES region eu-west-1" },
	{ "sender domain",
	    "554 Message rejected: Email address is not "
	    "verified. The following identities failed the check in region "
	    "EU-WEST-1: example.com",
	    "app@example.com",
	    "sender app@example.com is not verified in SES region eu-west-1" },
	{ "recipient",
	    "554 Message rejected: Email address is not verified. "
	    "The following identities failed the check in region EU-WEST-1: "
	    "bob@other.org",
	    "app@example.com",
	    "recipient bob@other.org is not verified in SES region eu-west-1 "
	    "(account in the sandbox?)" },
	{ "two recipients",
	    "554 Message rejected: Email address is not "
	    "verified. The following identities failed the check in region "
	    "EU-WEST-1: bob@other.org, carol@other.org...",
	    "app@example.com",
	    "recipient bob@other.org and others is not verified in SES region "
	    "eu-west-1 (account in the sandbox?)" },
	{ "header from",
	    "554 Message rejected: Email address is not verified. "
	    "The following identities failed the check in region EU-WEST-1: "
	    "News <news@example.net>",
	    "app@example.com",
	    "identity <news@example.net> is not verified in SES region "
	    "eu-west-1" },
};

int
main(void)
{
	static const char *const rcpts[] = { "ann@other.org", "bob@other.org",
		"carol@other.org" };
	char buf[512];

	for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
		struct ses_class c;

		memset(&c, 0xa5, sizeof(c));
		ses_reply_classify(
		    cases[i].code, cases[i].text, cases[i].stage, &c);
		CHECK(cases[i].name, c.kind == cases[i].kind);
		CHECK(cases[i].name, c.result == cases[i].result);
		CHECK(cases[i].name, c.health == cases[i].health);
		CHECK(cases[i].name, c.no_count == cases[i].no_count);
		CHECK(cases[i].name, c.reconnect == cases[i].reconnect);
		CHECK(cases[i].name, c.slow == cases[i].slow);
		CHECK(cases[i].name, c.alert == cases[i].alert);
		CHECK(cases[i].name, c.whole_msg == cases[i].whole);
		CHECK(cases[i].name, c.hold_seconds >= cases[i].min_hold);
		CHECK(cases[i].name, c.hint != NULL && c.hint[0] != '\0');
	}
	for (size_t i = 0; i < MS_ARRAY_LEN(ids); i++) {
		CHECK(ids[i].name,
		    ses_reply_message_id(ids[i].text, buf, sizeof(buf)) ==
			ids[i].ok);
		CHECK_STR(ids[i].name, buf, ids[i].want);
	}
	CHECK("id truncated",
	    ses_reply_message_id("250 Ok abcdef", buf, 4) &&
		strcmp(buf, "abc") == 0);
	for (size_t i = 0; i < MS_ARRAY_LEN(hints); i++) {
		ses_reply_unverified_hint(hints[i].text, hints[i].sender, rcpts,
		    MS_ARRAY_LEN(rcpts), "eu-west-1", buf, sizeof(buf));
		CHECK(hints[i].name,
		    strncmp(buf, hints[i].want, strlen(hints[i].want)) == 0);
		if (strncmp(buf, hints[i].want, strlen(hints[i].want)) != 0)
			printf("# got: %s\n", buf);
	}
	ses_reply_unverified_hint(
	    "garbage", "", rcpts, 0, "us-east-1", buf, sizeof(buf));
	CHECK_STR("no list", buf,
	    "an identity is not verified in SES region "
	    "us-east-1");
	return CHECK_DONE();
}
