/*
 * envelope.c - the envelope block at the head of a spool file and the
 *              flusher's per-recipient state file, as text.
 *
 * API:    env_*(), state_*() (see envelope.h).
 * Trust:  parsers read untrusted bytes: every line is bounded, every
 *         number range-checked, every string checked for controls.
 * Format: spool/README. One "key value" pair per line, LF-terminated;
 *         values never contain CR, LF or NUL (the writers refuse them).
 *         Addresses (from, rcpt) are percent-encoded since MAILSHIM-2
 *         and state "format 2", so that any address the front end
 *         accepts fits one word and reads back byte for byte; files in
 *         the older raw form are still read.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

/* A growing text buffer with a ceiling (style: exceeding it is an error). */
struct tbuf {
	char *p;
	size_t len, cap, max;
	bool failed;
};

static void
tbuf_add(struct tbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > b->max || (np = realloc(b->p, cap)) == NULL) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
tbuf_line(struct tbuf *b, const char *key, const char *value)
{
	tbuf_add(b, key, strlen(key));
	tbuf_add(b, " ", 1);
	tbuf_add(b, value, strlen(value));
	tbuf_add(b, "\n", 1);
}

/* Bytes written as %HH in an address: controls, space, DEL, '%' and
 * 8-bit bytes, so the encoded form is one word of printable ASCII. */
static bool
must_encode(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '%';
}

static void
tbuf_addr(struct tbuf *b, const char *addr)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)addr; *p != '\0';
	     p++) {
		char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		if (must_encode(*p))
			tbuf_add(b, e, 3);
		else
			tbuf_add(b, (const char *)p, 1);
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes a percent-encoded address; NULL for a bad escape, %00, or a
 * raw byte that the writer would have encoded. */
static char *
addr_decode(const char *v, size_t n)
{
	char *s = malloc(n + 1), *o = s;

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '%') {
			if (i + 2 >= n || hexval(v[i + 1]) < 0 ||
			    hexval(v[i + 2]) < 0)
				goto bad;
			c = (unsigned char)(hexval(v[i + 1]) * 16 +
			    hexval(v[i + 2]));
			if (c == '\0')
				goto bad;
			i += 2;
		} else if (must_encode(c)) {
			goto bad;
		}
		*o++ = (char)c;
	}
	*o = '\0';
	return s;
bad:
	free(s);
	return NULL;
}

static bool
text_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r')
			return false;
	return true;
}

static enum ms_status
strv_push(char ***v, size_t *n, const char *s, size_t max, const char *what,
    struct ms_err *err)
{
	char **nv;
	char *copy;

	if (*n >= max)
		return ms_err_set(err, MS_DATA, "more than %zu %s", max, what);
	if ((copy = strdup(s)) == NULL ||
	    (nv = realloc(*v, (*n + 1) * sizeof(char *))) == NULL) {
		free(copy);
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	nv[(*n)++] = copy;
	*v = nv;
	return MS_OK;
}

enum ms_status
env_add_rcpt(struct envelope *env, const char *addr, struct ms_err *err)
{
	if (!text_safe(addr))
		return ms_err_set(
		    err, MS_DATA, "recipient contains a line break");
	return strv_push(
	    &env->rcpts, &env->nrcpt, addr, ENV_MAX_RCPTS, "recipients", err);
}

enum ms_status
env_add_opt(struct envelope *env, const char *opt, struct ms_err *err)
{
	if (!text_safe(opt) || strchr(opt, '=') == NULL)
		return ms_err_set(err, MS_SOFTWARE, "bad envelope option");
	return strv_push(&env->opts, &env->nopt, opt, 64, "options", err);
}

const char *
env_opt(const struct envelope *env, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < env->nopt; i++)
		if (strncmp(env->opts[i], key, klen) == 0 &&
		    env->opts[i][klen] == '=')
			return env->opts[i] + klen + 1;
	return NULL;
}

enum ms_status
env_format(
    const struct envelope *env, char **out, size_t *len, struct ms_err *err)
{
	struct tbuf b = { .max = ENV_MAX_SIZE };
	char num[32];

	if (env->sender == NULL || !text_safe(env->sender) ||
	    (env->user != NULL && !text_safe(env->user)))
		return ms_err_set(err, MS_SOFTWARE,
		    "envelope sender missing "
		    "or contains a line break");
	tbuf_add(&b, SPOOL_MAGIC "\n", strlen(SPOOL_MAGIC) + 1);
	tbuf_line(&b, "id", env->id);
	snprintf(num, sizeof(num), "%lld", env->arrival);
	tbuf_line(&b, "time", num);
	snprintf(num, sizeof(num), "%ld", env->uid);
	tbuf_line(&b, "uid", num);
	tbuf_line(&b, "user", env->user != NULL ? env->user : "");
	tbuf_add(&b, "from ", 5);
	tbuf_addr(&b, env->sender);
	tbuf_add(&b, "\n", 1);
	for (size_t i = 0; i < env->nrcpt; i++) {
		tbuf_add(&b, "rcpt ", 5);
		tbuf_addr(&b, env->rcpts[i]);
		tbuf_add(&b, "\n", 1);
	}
	for (size_t i = 0; i < env->nopt; i++)
		tbuf_line(&b, "opt", env->opts[i]);
	tbuf_add(&b, "\n", 1);
	if (b.failed) {
		free(b.p);
		return ms_err_set(err, MS_TEMP,
		    "envelope too large or out of "
		    "memory");
	}
	*out = b.p;
	*len = b.len;
	return MS_OK;
}

/* Splits "key value\n" at buf[pos]; returns the line length including the
 * newline, 0 when no newline is found within max bytes. */
static size_t
next_line(const char *buf, size_t len, size_t pos, size_t max, const char **key,
    size_t *klen, const char **val, size_t *vlen)
{
	size_t avail = len - pos;
	const char *start = buf + pos;
	const char *nl = memchr(start, '\n', avail < max ? avail : max);
	const char *sp;

	if (nl == NULL)
		return 0;
	sp = memchr(start, ' ', (size_t)(nl - start));
	*key = start;
	*klen = sp != NULL ? (size_t)(sp - start) : (size_t)(nl - start);
	*val = sp != NULL ? sp + 1 : nl;
	*vlen = (size_t)(nl - *val);
	return (size_t)(nl - start) + 1;
}

/* Longest line a reader takes: raw (version 1) lines are held to the old
 * 2 KB, so that the same line written encoded (at most 3 times longer)
 * still fits the encoded formats' limit. */
static size_t
line_max(int version)
{
	return version >= 2 ? ENV_MAX_LINE : ENV_MAX_LINE_V1;
}

static bool
key_is(const char *key, size_t klen, const char *want)
{
	return klen == strlen(want) && memcmp(key, want, klen) == 0;
}

static bool
parse_ll(const char *v, size_t n, long long *out)
{
	char tmp[32];
	char *end;

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	errno = 0;
	*out = strtoll(tmp, &end, 10);
	return errno == 0 && *end == '\0';
}

/* Copies a value, refusing NUL and CR (a damaged or foreign file). */
static char *
value_dup(const char *v, size_t n)
{
	char *s;

	if (memchr(v, '\0', n) != NULL || memchr(v, '\r', n) != NULL)
		return NULL;
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, v, n);
	s[n] = '\0';
	return s;
}

static enum ms_status
env_field(struct envelope *env, int version, const char *key, size_t klen,
    const char *v, size_t vlen, struct ms_err *err)
{
	long long num;
	char *s;
	enum ms_status st = MS_OK;

	if (key_is(key, klen, "id")) {
		if (vlen == 0 || vlen >= sizeof(env->id))
			return ms_err_set(err, MS_DATA, "bad id line");
		memcpy(env->id, v, vlen);
		env->id[vlen] = '\0';
		return MS_OK;
	}
	if (key_is(key, klen, "time") || key_is(key, klen, "uid")) {
		if (!parse_ll(v, vlen, &num) || num < 0)
			return ms_err_set(
			    err, MS_DATA, "bad %.*s line", (int)klen, key);
		if (key[0] == 't')
			env->arrival = num;
		else
			env->uid = (long)num;
		return MS_OK;
	}
	if (version >= 2 &&
	    (key_is(key, klen, "from") || key_is(key, klen, "rcpt")))
		s = addr_decode(v, vlen);
	else
		s = value_dup(v, vlen);
	if (s == NULL)
		return ms_err_set(
		    err, MS_DATA, "bad %.*s line", (int)klen, key);
	if (key_is(key, klen, "user")) {
		free(env->user);
		env->user = s;
		return MS_OK;
	}
	if (key_is(key, klen, "from")) {
		free(env->sender);
		env->sender = s;
		return MS_OK;
	}
	if (key_is(key, klen, "rcpt"))
		st = s[0] != '\0' ? env_add_rcpt(env, s, err)
				  : ms_err_set(err, MS_DATA, "empty rcpt line");
	else if (key_is(key, klen, "opt"))
		st = strchr(s, '=') != NULL
		    ? env_add_opt(env, s, err)
		    : ms_err_set(err, MS_DATA, "bad opt line");
	/* Unknown keys are skipped: a newer writer may add fields. */
	free(s);
	return st;
}

enum ms_status
env_parse(struct envelope *env, const char *buf, size_t len, size_t *consumed,
    struct ms_err *err)
{
	size_t pos, n, mlen = strlen(SPOOL_MAGIC);
	enum ms_status st;
	int version;

	memset(env, 0, sizeof(*env));
	if (len >= mlen + 1 && memcmp(buf, SPOOL_MAGIC "\n", mlen + 1) == 0)
		version = 2;
	else if (len >= mlen + 1 &&
	    memcmp(buf, SPOOL_MAGIC_V1 "\n", mlen + 1) == 0)
		version = 1; /* raw addresses */
	else
		return ms_err_set(err, MS_DATA, "not a mailshim spool file");
	for (pos = mlen + 1; pos < len; pos += n) {
		const char *key, *val;
		size_t klen, vlen;

		if (buf[pos] == '\n') {
			if (env->sender == NULL || env->id[0] == '\0' ||
			    env->nrcpt == 0) {
				env_free(env);
				return ms_err_set(err, MS_DATA,
				    "envelope lacks "
				    "id, sender or recipients");
			}
			*consumed = pos + 1;
			return MS_OK;
		}
		n = next_line(
		    buf, len, pos, line_max(version), &key, &klen, &val, &vlen);
		if (n == 0)
			break;
		st = env_field(env, version, key, klen, val, vlen, err);
		if (st != MS_OK) {
			env_free(env);
			return st;
		}
	}
	env_free(env);
	return ms_err_set(err, MS_DATA, "envelope is truncated");
}

void
env_free(struct envelope *env)
{
	for (size_t i = 0; i < env->nrcpt; i++)
		free(env->rcpts[i]);
	for (size_t i = 0; i < env->nopt; i++)
		free(env->opts[i]);
	free(env->rcpts);
	free(env->opts);
	free(env->user);
	free(env->sender);
	memset(env, 0, sizeof(*env));
}

/* ---- state ---- */

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
state_set(struct msg_state *st, const char *addr, enum rcpt_status status,
    const char *relay, const char *reply, long long when, struct ms_err *err)
{
	struct rcpt_state *r;

	if (addr[0] == '\0')
		return ms_err_set(
		    err, MS_SOFTWARE, "empty recipient for state");
	if ((r = state_rcpt(st, addr)) == NULL)
		return st->nrcpt >= STATE_MAX_RCPTS
		    ? ms_err_set(err, MS_DATA,
			  "more than %d recipients in the state",
			  STATE_MAX_RCPTS)
		    : ms_err_set(err, MS_TEMP, "out of memory");
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
	if (b.failed) {
		free(b.p);
		return ms_err_set(err, MS_TEMP,
		    "state too large or out of "
		    "memory");
	}
	*out = b.p;
	*len = b.len;
	return MS_OK;
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
	if (!ok || !parse_ll(w[1], wl[1], &when))
		return ms_err_set(err, MS_DATA, "bad rcpt line in state");
	relay = value_dup(w[2], wl[2]);
	addr = format >= 2 ? addr_decode(w[3], wl[3]) : value_dup(w[3], wl[3]);
	if (pos < n)
		reply = value_dup(v + pos, n - pos);
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

		n = next_line(
		    buf, len, pos, line_max(format), &key, &klen, &val, &vlen);
		if (n == 0) {
			rc = ms_err_set(err, MS_DATA,
			    "state file line too long "
			    "or unterminated");
			break;
		}
		if (key_is(key, klen, "format")) {
			if (!parse_ll(val, vlen, &num) || num < 1 ||
			    num > STATE_FORMAT)
				rc = ms_err_set(err, MS_DATA,
				    "unknown state format \"%s\" (newer "
				    "than this mailshim?)",
				    ms_quote(q, sizeof(q), val,
					vlen > 20 ? 20 : vlen));
			else
				format = (int)num;
		} else if (key_is(key, klen, "rcpt")) {
			rc = state_rcpt_line(st, format, val, vlen, err);
		} else if (key_is(key, klen, "reason")) {
			free(st->reason);
			if ((st->reason = value_dup(val, vlen)) == NULL)
				rc =
				    ms_err_set(err, MS_DATA, "bad reason line");
		} else if (key_is(key, klen, "attempts") ||
		    key_is(key, klen, "last") || key_is(key, klen, "next") ||
		    key_is(key, klen, "since")) {
			if (!parse_ll(val, vlen, &num) || num < 0)
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
