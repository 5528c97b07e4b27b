/*
 * ses_reply.c - classification of Amazon SES SMTP replies (domain.md 4):
 *               a rule table maps (code, text, stage) to a kind, a second
 *               table maps the kind to the flusher's action.
 *
 * API:    ses_reply_classify(), ses_reply_message_id(),
 *         ses_reply_unverified_hint() (ses_reply.h).
 * Trust:  reply text is untrusted server output: only searched, never
 *         used as a format string; the hint quotes it through ms_quote.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ses_reply.h"

#define ANY_STAGE 0
#define ST(s)	  (1u << (s))
#define BEFORE_MAIL                                                            \
	(ST(SES_STAGE_CONNECT) | ST(SES_STAGE_EHLO) | ST(SES_STAGE_AUTH))

struct rule {
	int lo, hi;	    /* code range */
	const char *needle; /* lower case substring, or NULL */
	unsigned stages;    /* ST() bits, 0 = any */
	enum ses_kind kind;
};

/* First match wins. */
static const struct rule rules[] = {
	{ 200, 299, NULL, ANY_STAGE, SES_K_OK },
	{ 421, 421, "too many concurrent", ANY_STAGE, SES_K_CONCURRENCY },
	{ 400, 499, "maximum sending rate", ANY_STAGE, SES_K_THROTTLE },
	{ 400, 499, "daily message quota", ANY_STAGE, SES_K_QUOTA },
	{ 421, 421, NULL, ANY_STAGE, SES_K_RECONNECT },
	{ 451, 451, "4.4.2", ANY_STAGE, SES_K_RECONNECT },
	{ 451, 451, "timeout waiting", ANY_STAGE, SES_K_RECONNECT },
	{ 530, 530, "starttls", ANY_STAGE, SES_K_TLS },
	{ 530, 530, NULL, ANY_STAGE, SES_K_AUTH },
	{ 535, 535, NULL, ANY_STAGE, SES_K_AUTH },
	{ 500, 599, "not subscribed", ANY_STAGE, SES_K_AUTH },
	{ 552, 552, NULL, ANY_STAGE, SES_K_TOO_BIG },
	{ 553, 553, NULL, ANY_STAGE, SES_K_BAD_ADDR },
	{ 500, 599, "recipient count exceeds", ANY_STAGE, SES_K_TOO_MANY },
	{ 500, 599, "access denied", ANY_STAGE, SES_K_ACCESS },
	{ 500, 599, "not verified", ANY_STAGE, SES_K_UNVERIFIED },
	{ 500, 599, "sending paused", ANY_STAGE, SES_K_PAUSED },
	{ 500, 599, "account suspended", ANY_STAGE, SES_K_PAUSED },
	{ 500, 599, "shut down", ANY_STAGE, SES_K_PAUSED },
	{ 400, 499, NULL, ANY_STAGE, SES_K_TEMP },
	{ 500, 599, NULL, BEFORE_MAIL, SES_K_RELAY_ERR },
	{ 500, 599, NULL, ANY_STAGE, SES_K_PERM },
	{ 0, 0, NULL, ANY_STAGE, SES_K_RELAY_ERR },
};

struct action {
	enum ms_status result;
	enum relay_health health;
	long hold;
	bool no_count, reconnect, slow, alert, whole;
	const char *hint;
};

/* Indexed by enum ses_kind. */
static const struct action actions[] = {
	[SES_K_OK] = { MS_OK, RELAY_FINE, 0, false, false, false, false, true,
	    "accepted by SES" },
	[SES_K_RECONNECT] = { MS_TEMP, RELAY_FINE, 0, true, true, false, false,
	    true,
	    "SES closed the session (message count or idle "
	    "limit); reconnect and resend" },
	[SES_K_THROTTLE] = { MS_TEMP, RELAY_FINE, 0, true, false, true, false,
	    true,
	    "SES sending rate exceeded; slowing this relay "
	    "(lower its rate to about 80% of MaxSendRate)" },
	[SES_K_QUOTA] = { MS_TEMP, RELAY_HOLD, SES_HOLD_QUOTA, true, false,
	    false, true, true,
	    "SES daily sending quota exhausted; holding "
	    "the relay (ask AWS for a higher quota)" },
	[SES_K_AUTH] = { MS_TEMP, RELAY_FAILED, SES_HOLD_AUTH, true, false,
	    false, true, true,
	    "SES refused the SMTP credentials: wrong key, "
	    "a password derived for another region, or temporary keys" },
	[SES_K_TLS] = { MS_TEMP, RELAY_FAILED, SES_HOLD_AUTH, true, false,
	    false, true, true,
	    "SES wants STARTTLS first: check the relay's "
	    "tls and port settings" },
	[SES_K_ACCESS] = { MS_TEMP, RELAY_HOLD, SES_HOLD_ACCESS, true, false,
	    false, true, true,
	    "IAM does not allow ses:SendRawEmail for "
	    "these credentials; fix the policy (mail stays queued)" },
	[SES_K_PAUSED] = { MS_TEMP, RELAY_HOLD, SES_HOLD_PAUSED, true, false,
	    false, true, true,
	    "SES sending is paused for this account; "
	    "see the AWS account's mailbox (mail stays queued)" },
	[SES_K_UNVERIFIED] = { MS_PERM, RELAY_FINE, 0, false, false, false,
	    false, true, "an identity is not verified in this SES region" },
	[SES_K_TOO_BIG] = { MS_PERM, RELAY_FINE, 0, false, false, false, false,
	    true, "message too large for SES (40 MB at most)" },
	[SES_K_BAD_ADDR] = { MS_PERM, RELAY_FINE, 0, false, false, false, false,
	    false, "SES refused the address" },
	[SES_K_TOO_MANY] = { MS_TEMP, RELAY_FINE, 0, false, false, false, false,
	    true,
	    "too many recipients for one SES transaction; "
	    "max_recipients must be 50 or less" },
	[SES_K_CONCURRENCY] = { MS_TEMP, RELAY_FAILED, SES_HOLD_CONCURRENCY,
	    true, false, false, false, true,
	    "too many SMTP connections to "
	    "SES; lower connections" },
	[SES_K_TEMP] = { MS_TEMP, RELAY_FINE, 0, false, false, false, false,
	    true, "temporary SES failure" },
	[SES_K_RELAY_ERR] = { MS_TEMP, RELAY_FAILED, SES_HOLD_RELAY, true,
	    false, false, false, true,
	    "the SES relay failed before the "
	    "message was sent" },
	[SES_K_PERM] = { MS_PERM, RELAY_FINE, 0, false, false, false, false,
	    true, "SES rejected the message" },
};

/* Case-insensitive substring test; needle is lower case. */
static bool
contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++) {
		size_t i = 0;

		while (i < n && hay[i] != '\0' &&
		    tolower((unsigned char)hay[i]) == needle[i])
			i++;
		if (i == n)
			return true;
	}
	return false;
}

void
ses_reply_classify(
    int code, const char *text, enum ses_stage stage, struct ses_class *out)
{
	enum ses_kind kind = SES_K_TEMP;
	const struct action *a;

	if (text == NULL)
		text = "";
	for (size_t i = 0; i < MS_ARRAY_LEN(rules); i++) {
		const struct rule *r = &rules[i];

		if (code < r->lo || code > r->hi)
			continue;
		if (r->stages != ANY_STAGE && (r->stages & ST(stage)) == 0)
			continue;
		if (r->needle != NULL && !contains(text, r->needle))
			continue;
		kind = r->kind;
		break;
	}
	a = &actions[kind];
	out->kind = kind;
	out->result = a->result;
	out->health = a->health;
	out->hold_seconds = a->hold;
	out->no_count = a->no_count;
	out->reconnect = a->reconnect;
	out->slow = a->slow;
	out->alert = a->alert;
	out->whole_msg = a->whole;
	out->hint = a->hint;
	/* A 553 to MAIL FROM is the sender: every recipient. A 4xx/5xx to
	 * one RCPT is that recipient only. */
	if (kind == SES_K_BAD_ADDR)
		out->whole_msg = stage != SES_STAGE_RCPT;
	if ((kind == SES_K_TEMP || kind == SES_K_PERM) &&
	    stage == SES_STAGE_RCPT)
		out->whole_msg = false;
}

/* Skips "250 ", "250-" and an enhanced status code "2.0.0 ". */
static const char *
skip_codes(const char *t)
{
	if (isdigit((unsigned char)t[0]) && isdigit((unsigned char)t[1]) &&
	    isdigit((unsigned char)t[2]) &&
	    (t[3] == ' ' || t[3] == '-' || t[3] == '\0'))
		t += t[3] == '\0' ? 3 : 4;
	while (*t == ' ')
		t++;
	if (isdigit((unsigned char)t[0]) && t[1] == '.') {
		const char *p = t;

		while (isdigit((unsigned char)*p) || *p == '.')
			p++;
		if (*p == ' ')
			t = p + 1;
	}
	while (*t == ' ')
		t++;
	return t;
}

bool
ses_reply_message_id(const char *text, char *buf, size_t len)
{
	const char *t;
	size_t n = 0;

	if (len == 0)
		return false;
	buf[0] = '\0';
	if (text == NULL)
		return false;
	t = skip_codes(text);
	if ((t[0] != 'O' && t[0] != 'o') || (t[1] != 'k' && t[1] != 'K') ||
	    t[2] != ' ')
		return false;
	t += 3;
	while (*t == ' ')
		t++;
	while (n + 1 < len &&
	    (isalnum((unsigned char)t[n]) || t[n] == '-' || t[n] == '.' ||
		t[n] == '_' || t[n] == '@'))
		n++;
	memcpy(buf, t, n);
	buf[n] = '\0';
	return n > 0;
}

/* identity matches addr exactly, or is addr's domain. */
static bool
identity_matches(const char *id, size_t idlen, const char *addr)
{
	const char *at;

	if (addr == NULL || idlen == 0)
		return false;
	if (strlen(addr) == idlen && strncasecmp(addr, id, idlen) == 0)
		return true;
	at = strrchr(addr, '@');
	return at != NULL && strlen(at + 1) == idlen &&
	    strncasecmp(at + 1, id, idlen) == 0;
}

char *
ses_reply_unverified_hint(const char *text, const char *sender,
    const char *const *rcpts, size_t nrcpt, const char *region, char *buf,
    size_t len)
{
	char first_rcpt[128] = "", other[128] = "", q[210];
	const char *list, *p;
	bool sender_hit = false;
	size_t nrcpt_hit = 0;
	int n;

	if (len == 0)
		return buf;
	if (text == NULL)
		text = "";
	list = text;
	for (p = text; *p != '\0'; p++)
		if (strncasecmp(p, "in region ", 10) == 0) {
			list = strchr(p, ':');
			list = list != NULL ? list + 1 : p + 10;
			break;
		}
	while (*list != '\0') {
		size_t idlen;
		const char *end;

		while (*list == ' ' || *list == ',')
			list++;
		idlen = strcspn(list, ", ");
		end = list + idlen;
		while (idlen > 0 && (list[idlen - 1] == '.'))
			idlen--; /* trailing "..." or "." */
		if (idlen > 0 && memchr(list, '@', idlen) == NULL &&
		    memchr(list, '.', idlen) == NULL) {
			list = end; /* not an address or domain */
			continue;
		}
		if (idlen > 0) {
			bool hit = false;

			if (identity_matches(list, idlen, sender)) {
				sender_hit = true;
				hit = true;
			}
			for (size_t i = 0; i < nrcpt && !hit; i++)
				if (identity_matches(list, idlen, rcpts[i])) {
					if (nrcpt_hit++ == 0)
						ms_quote(first_rcpt,
						    sizeof(first_rcpt), list,
						    idlen);
					hit = true;
				}
			if (!hit && other[0] == '\0')
				ms_quote(other, sizeof(other), list, idlen);
		}
		list = end;
	}
	if (sender_hit)
		n = snprintf(buf, len,
		    "sender %s is not verified in SES region "
		    "%s (verify it or its domain there)",
		    ms_quote(q, sizeof(q), sender, strlen(sender)), region);
	else if (nrcpt_hit > 0)
		n = snprintf(buf, len,
		    "recipient %s%s is not verified in SES "
		    "region %s (account in the sandbox?)",
		    first_rcpt, nrcpt_hit > 1 ? " and others" : "", region);
	else if (other[0] != '\0')
		n = snprintf(buf, len,
		    "identity %s is not verified in SES "
		    "region %s (the From, Sender or Return-Path address?)",
		    other, region);
	else
		n = snprintf(buf, len,
		    "an identity is not verified in SES "
		    "region %s",
		    region);
	(void)n;
	return buf;
}
