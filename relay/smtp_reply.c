/*
 * smtp_reply.c - pairs the commands libcurl sent with the replies it got,
 *                and classifies replies by the generic SMTP rules.
 *
 * API:    smtp_transcript_*(), smtp_classify(), smtp_stage_name().
 *         Documented in smtp_reply.h.
 * Trust:  reply lines are untrusted network input: bounded, parsed
 *         strictly (three digits, then ' ', '-' or end of line). Lines
 *         that do not parse are ignored, as libcurl ignores them.
 *         Outgoing AUTH data is dropped before it is stored or logged.
 * Errors: none; running out of room for RCPT replies drops the extra
 *         ones (their recipients then count as unanswered).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_reply.h"

static const char *const stage_names[] = {
	[SMTP_STAGE_CONNECT] = "connect",
	[SMTP_STAGE_BANNER] = "banner",
	[SMTP_STAGE_EHLO] = "EHLO",
	[SMTP_STAGE_STARTTLS] = "STARTTLS",
	[SMTP_STAGE_AUTH] = "AUTH",
	[SMTP_STAGE_MAIL] = "MAIL",
	[SMTP_STAGE_RCPT] = "RCPT",
	[SMTP_STAGE_DATA] = "DATA",
	[SMTP_STAGE_DOT] = "end of DATA",
	[SMTP_STAGE_OTHER] = "command",
};

const char *
smtp_stage_name(enum smtp_stage stage)
{
	if ((size_t)stage >= MS_ARRAY_LEN(stage_names))
		return "?";
	return stage_names[stage];
}

void
smtp_transcript_init(struct smtp_transcript *t)
{
	memset(t, 0, sizeof(*t));
	t->pending = SMTP_STAGE_BANNER;
	t->stage = SMTP_STAGE_BANNER;
}

void
smtp_transcript_reset_connection(struct smtp_transcript *t)
{
	t->pending = SMTP_STAGE_BANNER;
	t->stage = SMTP_STAGE_BANNER;
	t->sent_any = false;
	t->auth_sent = false;
	t->in_auth = false;
	t->after_354 = false;
	t->awaiting = true; /* the connection, then the greeting: */
	t->commands++;	    /* an exchange of its own */
	t->inlen = t->outlen = 0;
	t->in_cut = t->out_cut = false;
	t->building_any = false;
}

void
smtp_transcript_begin(struct smtp_transcript *t)
{
	memset(&t->last, 0, sizeof(t->last));
	memset(&t->fail, 0, sizeof(t->fail));
	memset(&t->mail, 0, sizeof(t->mail));
	memset(&t->data, 0, sizeof(t->data));
	memset(&t->dot, 0, sizeof(t->dot));
	t->nrcpt = 0;
	t->after_354 = false;
}

void
smtp_transcript_free(struct smtp_transcript *t)
{
	free(t->rcpt);
	t->rcpt = NULL;
	t->nrcpt = t->rcpt_cap = 0;
}

const struct smtp_reply *
smtp_transcript_rcpt(const struct smtp_transcript *t, size_t i)
{
	return i < t->nrcpt ? &t->rcpt[i] : NULL;
}

static void
log_line(struct smtp_transcript *t, char dir, const char *line, size_t len)
{
	char q[256];

	if (t->log == NULL)
		return;
	ms_quote(q, sizeof(q), line, len);
	t->log(dir, q, t->log_arg);
}

/* Does line start with word (case-insensitive), followed by end, ' ' or
 * ':'? */
static bool
is_cmd(const char *line, size_t len, const char *word)
{
	size_t n = strlen(word);

	if (len < n || strncasecmp(line, word, n) != 0)
		return false;
	return len == n || line[n] == ' ' || line[n] == ':';
}

static void
handle_out(struct smtp_transcript *t, const char *line, size_t len)
{
	static const struct {
		const char *word;
		enum smtp_stage stage;
	} cmds[] = {
		{ "EHLO", SMTP_STAGE_EHLO },
		{ "HELO", SMTP_STAGE_EHLO },
		{ "STARTTLS", SMTP_STAGE_STARTTLS },
		{ "AUTH", SMTP_STAGE_AUTH },
		{ "MAIL", SMTP_STAGE_MAIL },
		{ "RCPT", SMTP_STAGE_RCPT },
		{ "DATA", SMTP_STAGE_DATA },
		{ "NOOP", SMTP_STAGE_OTHER },
		{ "RSET", SMTP_STAGE_OTHER },
		{ "QUIT", SMTP_STAGE_OTHER },
		{ "VRFY", SMTP_STAGE_OTHER },
		{ "EXPN", SMTP_STAGE_OTHER },
		{ "HELP", SMTP_STAGE_OTHER },
	};

	if (t->in_auth) {
		/* A SASL response: credentials. Never stored or shown. */
		if (t->log != NULL)
			t->log('>', "[authentication data hidden]", t->log_arg);
		return;
	}
	for (size_t i = 0; i < MS_ARRAY_LEN(cmds); i++) {
		if (!is_cmd(line, len, cmds[i].word))
			continue;
		t->pending = cmds[i].stage;
		t->awaiting = true;
		t->commands++;
		if (strcmp(cmds[i].word, "QUIT") != 0)
			t->stage = cmds[i].stage;
		t->sent_any = true;
		if (cmds[i].stage == SMTP_STAGE_AUTH) {
			size_t m = 5;

			t->auth_sent = true;
			t->in_auth = true;
			while (m < len && m < 40 && line[m] != ' ')
				m++;
			/* "AUTH PLAIN" and nothing of what follows it */
			log_line(t, '>', line, m < len ? m : len);
			if (t->log != NULL && m < len)
				t->log('>', "[authentication data hidden]",
				    t->log_arg);
			return;
		}
		log_line(t, '>', line, len);
		return;
	}
	/* Not an SMTP command (proxy CONNECT and its headers): shown, but
	 * it does not change the SMTP state. Proxy credentials are not. */
	if (is_cmd(line, len, "Proxy-Authorization")) {
		if (t->log != NULL)
			t->log(
			    '>', "Proxy-Authorization: [hidden]", t->log_arg);
		return;
	}
	log_line(t, '>', line, len);
}

static void
append_text(struct smtp_reply *r, const char *s, size_t n)
{
	size_t have = strlen(r->text);

	if (have + 1 >= sizeof(r->text))
		return;
	if (n > sizeof(r->text) - 1 - have)
		n = sizeof(r->text) - 1 - have;
	memcpy(r->text + have, s, n);
	r->text[have + n] = '\0';
}

static void
push_rcpt(struct smtp_transcript *t, const struct smtp_reply *r)
{
	if (t->nrcpt == t->rcpt_cap) {
		size_t cap = t->rcpt_cap ? t->rcpt_cap * 2 : 16;
		struct smtp_reply *n;

		if (cap > SMTP_MAX_RCPT_REPLIES)
			cap = SMTP_MAX_RCPT_REPLIES;
		if (cap <= t->nrcpt)
			return;
		n = realloc(t->rcpt, cap * sizeof(*n));
		if (n == NULL)
			return;
		t->rcpt = n;
		t->rcpt_cap = cap;
	}
	t->rcpt[t->nrcpt++] = *r;
}

static void
reply_done(struct smtp_transcript *t)
{
	struct smtp_reply *r = &t->building;

	t->building_any = false;
	t->awaiting = false;
	if (!t->sent_any)
		r->stage = SMTP_STAGE_BANNER;
	else if (t->pending == SMTP_STAGE_DATA && t->after_354)
		r->stage = SMTP_STAGE_DOT;
	else
		r->stage = t->pending;

	switch (r->stage) {
	case SMTP_STAGE_AUTH: t->in_auth = r->code == 334; break;
	case SMTP_STAGE_MAIL: t->mail = *r; break;
	case SMTP_STAGE_RCPT: push_rcpt(t, r); break;
	case SMTP_STAGE_DATA:
		t->data = *r;
		if (r->code / 100 == 3)
			t->after_354 = true;
		break;
	case SMTP_STAGE_DOT:
		t->dot = *r;
		t->after_354 = false;
		break;
	default: break;
	}
	t->last = *r;
	if (t->fail.code == 0 && (r->code < 200 || r->code >= 400) &&
	    !(r->code == 334 && r->stage == SMTP_STAGE_AUTH) &&
	    !(r->code == 354 && r->stage == SMTP_STAGE_DATA))
		t->fail = *r;
}

static void
handle_in(struct smtp_transcript *t, const char *line, size_t len)
{
	int code;
	bool final;
	const char *rest;
	size_t restlen;

	log_line(t, '<', line, len);
	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]))
		return;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	final = len == 3 || line[3] == ' ';
	rest = len > 4 ? line + 4 : "";
	restlen = len > 4 ? len - 4 : 0;
	if (!t->building_any) {
		memset(&t->building, 0, sizeof(t->building));
		t->building.code = code;
		t->building_any = true;
		append_text(&t->building, line, 3);
		if (restlen > 0) {
			append_text(&t->building, " ", 1);
			append_text(&t->building, rest, restlen);
		}
	} else if (restlen > 0) {
		append_text(&t->building, " ", 1);
		append_text(&t->building, rest, restlen);
	}
	if (final) {
		/* The last line's code is the reply's code. */
		t->building.code = code;
		reply_done(t);
	}
}

static void
feed_dir(struct smtp_transcript *t, bool in, const char *data, size_t len)
{
	char *buf = in ? t->inbuf : t->outbuf;
	size_t *blen = in ? &t->inlen : &t->outlen;
	bool *cut = in ? &t->in_cut : &t->out_cut;

	for (size_t i = 0; i < len; i++) {
		char c = data[i];

		if (c == '\n') {
			size_t n = *blen;

			if (n > 0 && buf[n - 1] == '\r')
				n--;
			if (in)
				handle_in(t, buf, n);
			else
				handle_out(t, buf, n);
			*blen = 0;
			*cut = false;
			continue;
		}
		if (*blen + 1 < SMTP_LINE_MAX)
			buf[(*blen)++] = c;
		else
			*cut = true;
	}
}

void
smtp_transcript_feed(
    struct smtp_transcript *t, bool in, const char *data, size_t len)
{
	feed_dir(t, in, data, len);
}

void
smtp_classify(int code, const char *text, enum smtp_stage stage,
    struct smtp_class *out, void *arg)
{
	(void)text;
	(void)arg;
	out->result = MS_TEMP;
	out->health = RELAY_FINE;
	out->hold_seconds = 0;
	out->no_count = false;

	if (code >= 200 && code < 300) {
		out->result = MS_OK;
		return;
	}
	if (code == 421 || code == 530 || code < 400 || code >= 600 ||
	    stage < SMTP_STAGE_MAIL || stage == SMTP_STAGE_OTHER) {
		/* The relay's problem, not the message's: keep it queued
		 * and let the flusher try the next relay. */
		out->health = RELAY_FAILED;
		return;
	}
	out->result = code >= 500 ? MS_PERM : MS_TEMP;
}
