/*
 * state_text.c - the flusher's per-recipient state (queue/ID.state) as
 *                text, and the recipients it holds in memory: looked up
 *                through an index, at most STATE_MAX_RCPTS.
 *
 * API:    state_*(), rcpt_status_name() (see envelope.h).
 * Trust:  the parser reads untrusted bytes (a state may be damaged or
 *         hand-edited): every line is bounded, every number and status
 *         checked; anything else is MS_DATA, never a crash.
 * Format: spool/README. "format 2" states percent-encode addresses;
 *         older states with raw addresses are still read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "spool_text.h"

static const char *const status_names[] = {
	[RCPT_PENDING] = "pending",
	[RCPT_SENT] = "sent",
	[RCPT_DEFERRED] = "deferred",
	[RCPT_DEAD] = "dead",
};

const char *
rcpt_status_name(enum rcpt_status s)
{
	return (unsigned)s < MS_ARRAY_LEN(status_names) ? status_names[s] : "?";
}

/* A state may hold STATE_MAX_RCPTS recipients, and every recipient read
 * or resolved is looked up first: the index keeps that linear (a scan
 * of the array made a 40,000-recipient state cost seconds to parse). */
struct rcpt_state *
state_rcpt(struct msg_state *st, const char *addr)
{
	size_t at = strset_get(&st->index, addr);
	struct rcpt_state *nr;
	char *copy;

	if (at != SIZE_MAX)
		return &st->rcpts[at];
	if (st->nrcpt >= STATE_MAX_RCPTS)
		return NULL;
	if (st->nrcpt == st->cap) {
		size_t cap = st->cap == 0 ? 4 : st->cap * 2;

		if ((nr = realloc(st->rcpts, cap * sizeof(*nr))) == NULL)
			return NULL;
		st->rcpts = nr;
		st->cap = cap;
	}
	if ((copy = strdup(addr)) == NULL ||
	    !strset_add(&st->index, addr, st->nrcpt)) {
		free(copy);
		return NULL;
	}
	nr = &st->rcpts[st->nrcpt++];
	memset(nr, 0, sizeof(*nr));
	nr->addr = copy;
	return nr;
}

/* Replaces *dst with a copy of src in which line breaks became spaces. */
static void
set_text(char **dst, const char *src)
{
	char *s = src != NULL ? strdup(src) : NULL;

	for (char *p = s; p != NULL && *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	free(*dst);
	*dst = s;
}

enum ms_status
state_rcpt_error(const struct msg_state *st, struct ms_err *err)
{
	if (st->nrcpt >= STATE_MAX_RCPTS)
		return ms_err_set(err, MS_DATA,
		    "more than %d recipients in the state", STATE_MAX_RCPTS);
	return ms_err_set(err, MS_TEMP, "out of memory");
}

enum ms_status
state_set(struct msg_state *st, const char *addr, enum rcpt_status status,
    const char *relay, const char *reply, long long when, struct ms_err *err)
{
	struct rcpt_state *r;

	if (addr[0] == '\0')
		return ms_err_set(
		    err, MS_SOFTWARE, "empty recipient for state");
	if ((r = state_rcpt(st, addr)) == NULL)
		return state_rcpt_error(st, err);
	state_update(r, status, relay, reply, when);
	return MS_OK;
}

void
state_update(struct rcpt_state *r, enum rcpt_status status, const char *relay,
    const char *reply, long long when)
{
	r->status = status;
	r->when = when;
	set_text(&r->relay, relay);
	set_text(&r->reply, reply);
	/* The relay is one word of the "rcpt" line: a space in it (a relay
	 * section titled "my relay") would shift the address and make the
	 * state unreadable after the next write. */
	for (char *p = r->relay; p != NULL && *p != '\0'; p++)
		if (*p == ' ')
			*p = '_';
}

/* "rcpt STATUS WHEN RELAY ADDR REPLY..." : relay "-" when none. */
enum ms_status
state_format(
    const struct msg_state *st, char **out, size_t *len, struct ms_err *err)
{
	struct tbuf b = { .max = ENV_MAX_SIZE * 4 };
	char line[128];

	snprintf(line, sizeof(line),
	    "format %d\nattempts %d\nlast %lld\nnext %lld\n", STATE_FORMAT,
	    st->attempts, st->last_attempt, st->next_try);
	tbuf_add(&b, line, strlen(line));
	if (st->since > 0) {
		snprintf(line, sizeof(line), "since %lld\n", st->since);
		tbuf_add(&b, line, strlen(line));
	}
	if (st->reason != NULL)
		tbuf_line(&b, "reason", st->reason);
	for (size_t i = 0; i < st->nrcpt; i++) {
		const struct rcpt_state *r = &st->rcpts[i];

		snprintf(line, sizeof(line), "rcpt %s %lld ",
		    rcpt_status_name(r->status), r->when);
		tbuf_add(&b, line, strlen(line));
		tbuf_add(&b,
		    r->relay != NULL && r->relay[0] != '\0' ? r->relay : "-",
		    r->relay != NULL && r->relay[0] != '\0' ? strlen(r->relay)
							    : 1);
		tbuf_add(&b, " ", 1);
		tbuf_addr(&b, r->addr);
		if (r->reply != NULL) {
			tbuf_add(&b, " ", 1);
			tbuf_add(&b, r->reply, strlen(r->reply));
		}
		tbuf_add(&b, "\n", 1);
	}
	return tbuf_take(&b, "state", out, len, err);
}

static enum rcpt_status
status_from(const char *s, size_t n, bool *ok)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(status_names); i++)
		if (strlen(status_names[i]) == n &&
		    memcmp(status_names[i], s, n) == 0) {
			*ok = true;
			return (enum rcpt_status)i;
		}
	*ok = false;
	return RCPT_PENDING;
}

/* Takes the next space-separated word of v (length n) starting at *pos. */
static bool
word(const char *v, size_t n, size_t *pos, const char **w, size_t *wlen)
{
	const char *sp;

	if (*pos >= n)
		return false;
	*w = v + *pos;
	sp = memchr(*w, ' ', n - *pos);
	*wlen = sp != NULL ? (size_t)(sp - *w) : n - *pos;
	*pos += *wlen + (sp != NULL ? 1 : 0);
	return *wlen > 0;
}

static enum ms_status
state_rcpt_line(struct msg_state *st, int format, const char *v, size_t n,
    struct ms_err *err)
{
	const char *w[4];
	size_t wl[4], pos = 0;
	long long when;
	bool ok;
	enum rcpt_status status;
	char *relay, *addr, *reply = NULL;
	enum ms_status rc;

	for (int i = 0; i < 4; i++)
		if (!word(v, n, &pos, &w[i], &wl[i]))
			return ms_err_set(
			    err, MS_DATA, "bad rcpt line in state");
	status = status_from(w[0], wl[0], &ok);
	if (!ok || !text_parse_ll(w[1], wl[1], &when))
		return ms_err_set(err, MS_DATA, "bad rcpt line in state");
	relay = text_value_dup(w[2], wl[2]);
	addr = format >= 2 ? text_addr_decode(w[3], wl[3])
			   : text_value_dup(w[3], wl[3]);
	if (pos < n)
		reply = text_value_dup(v + pos, n - pos);
	if (relay == NULL || addr == NULL)
		rc = ms_err_set(err, MS_DATA, "bad rcpt line in state");
	else
		rc = state_set(st, addr, status,
		    strcmp(relay, "-") == 0 ? NULL : relay, reply, when, err);
	free(relay);
	free(addr);
	free(reply);
	return rc;
}

enum ms_status
state_parse(
    struct msg_state *st, const char *buf, size_t len, struct ms_err *err)
{
	size_t pos, n;
	enum ms_status rc = MS_OK;
	int format = 1; /* no "format" line: raw addresses */
	char q[32];

	memset(st, 0, sizeof(*st));
	for (pos = 0; pos < len && rc == MS_OK; pos += n) {
		const char *key, *val;
		size_t klen, vlen;
		long long num;

		n = text_next_line(buf, len, pos, text_line_max(format), &key,
		    &klen, &val, &vlen);
		if (n == 0) {
			rc = ms_err_set(err, MS_DATA,
			    "state file line too long "
			    "or unterminated");
			break;
		}
		if (text_key_is(key, klen, "format")) {
			if (!text_parse_ll(val, vlen, &num) || num < 1 ||
			    num > STATE_FORMAT)
				rc = ms_err_set(err, MS_DATA,
				    "unknown state format \"%s\" (newer "
				    "than this mailshim?)",
				    ms_quote(q, sizeof(q), val,
					vlen > 20 ? 20 : vlen));
			else
				format = (int)num;
		} else if (text_key_is(key, klen, "rcpt")) {
			rc = state_rcpt_line(st, format, val, vlen, err);
		} else if (text_key_is(key, klen, "reason")) {
			free(st->reason);
			if ((st->reason = text_value_dup(val, vlen)) == NULL)
				rc =
				    ms_err_set(err, MS_DATA, "bad reason line");
		} else if (text_key_is(key, klen, "attempts") ||
		    text_key_is(key, klen, "last") ||
		    text_key_is(key, klen, "next") ||
		    text_key_is(key, klen, "since")) {
			if (!text_parse_ll(val, vlen, &num) || num < 0)
				rc = ms_err_set(err, MS_DATA, "bad %.*s line",
				    (int)klen, key);
			else if (key[0] == 'a')
				st->attempts =
				    num > 1000000 ? 1000000 : (int)num;
			else if (key[0] == 'l')
				st->last_attempt = num;
			else if (key[0] == 's')
				st->since = num;
			else
				st->next_try = num;
		}
	}
	if (rc != MS_OK)
		state_free(st);
	return rc;
}

void
state_free(struct msg_state *st)
{
	for (size_t i = 0; i < st->nrcpt; i++) {
		free(st->rcpts[i].addr);
		free(st->rcpts[i].relay);
		free(st->rcpts[i].reply);
	}
	free(st->rcpts);
	free(st->reason);
	strset_free(&st->index);
	memset(st, 0, sizeof(*st));
}
