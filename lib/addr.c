/*
 * addr.c - e-mail addresses: RFC 5322 address-list parsing for header
 *          values and command-line arguments. The checks of one bare
 *          address and its qualification are in addr_check.c.
 *
 * API:    addr_list_parse(), addr_is_atext().  Documented in addr.h.
 * Trust:  input is untrusted; the tokenizer never reads past len, keeps
 *         no recursion beyond one group level and bounds every address
 *         at ADDR_MAX bytes.
 * Errors: MS_DATA naming (quoted, at most 200 bytes) the element that
 *         could not be parsed; MS_TEMP when memory runs out.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"

enum tok_type { TOK_END, TOK_ATOM, TOK_QSTR, TOK_DLIT, TOK_SPECIAL, TOK_BAD };

struct tok {
	enum tok_type type;
	const char *p; /* token text (quotes included) */
	size_t len;
	char c; /* the character for TOK_SPECIAL */
};

struct lexer {
	const char *s;
	size_t len, pos;
	struct tok cur;
};

bool
addr_is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true; /* UTF-8 and other 8-bit bytes, kept as is */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips white space (folding included) and nested comments. False when a
 * comment is not closed. */
static bool
skip_cfws(struct lexer *lx)
{
	while (lx->pos < lx->len) {
		unsigned char c = (unsigned char)lx->s[lx->pos];

		if (is_wsp(c)) {
			lx->pos++;
		} else if (c == '(') {
			int depth = 0;

			do {
				c = (unsigned char)lx->s[lx->pos];
				if (c == '\\' && lx->pos + 1 < lx->len)
					lx->pos++;
				else if (c == '(')
					depth++;
				else if (c == ')')
					depth--;
				lx->pos++;
			} while (depth > 0 && lx->pos < lx->len);
			if (depth > 0)
				return false;
		} else {
			break;
		}
	}
	return true;
}

/* Moves to the next token (into lx->cur). */
static void
lex_next(struct lexer *lx)
{
	struct tok *t = &lx->cur;
	size_t start;
	unsigned char c;

	t->type = TOK_BAD;
	t->len = 0;
	t->c = '\0';
	t->p = lx->s + lx->pos;
	if (!skip_cfws(lx))
		return;
	t->p = lx->s + lx->pos;
	if (lx->pos >= lx->len) {
		t->type = TOK_END;
		return;
	}
	start = lx->pos;
	c = (unsigned char)lx->s[lx->pos];
	if (c == '"' || c == '[') {
		char close = c == '"' ? '"' : ']';

		for (lx->pos++; lx->pos < lx->len; lx->pos++) {
			c = (unsigned char)lx->s[lx->pos];
			if (c == '\\' && lx->pos + 1 < lx->len) {
				lx->pos++;
			} else if (c == (unsigned char)close) {
				lx->pos++;
				t->type = close == '"' ? TOK_QSTR : TOK_DLIT;
				t->len = lx->pos - start;
				return;
			} else if (c == '\0' || (close == ']' && c == '[')) {
				return;
			}
		}
		return; /* not closed */
	}
	if (addr_is_atext(c)) {
		while (lx->pos < lx->len &&
		    addr_is_atext((unsigned char)lx->s[lx->pos]))
			lx->pos++;
		t->type = TOK_ATOM;
		t->len = lx->pos - start;
		return;
	}
	if (strchr("<>@,:;.", c) != NULL && c != '\0') {
		lx->pos++;
		t->type = TOK_SPECIAL;
		t->c = (char)c;
		t->len = 1;
		return;
	}
	/* ')', ']', '\\', controls: nothing we can use */
}

static bool
is_special(const struct tok *t, char c)
{
	return t->type == TOK_SPECIAL && t->c == c;
}

/* An address being assembled from tokens. */
struct abuf {
	char s[ADDR_MAX + 1];
	size_t len;
	bool overflow;
	const char *why; /* addr_check()'s reason, when it refused */
};

static void
abuf_add(struct abuf *b, const char *p, size_t len)
{
	if (b->len + len > ADDR_MAX) {
		b->overflow = true;
		return;
	}
	memcpy(b->s + b->len, p, len);
	b->len += len;
	b->s[b->len] = '\0';
}

static enum ms_status
bad_element(
    const struct lexer *lx, size_t start, const char *why, struct ms_err *err)
{
	char q[256];
	size_t end = lx->pos;

	/* name the element up to the next comma, for a useful message */
	while (end < lx->len && lx->s[end] != ',')
		end++;
	ms_quote(q, sizeof(q), lx->s + start, end - start);
	if (why != NULL)
		return ms_err_set(
		    err, MS_DATA, "invalid address: %s: %s", q, why);
	return ms_err_set(err, MS_DATA, "invalid address: %s", q);
}

/* Copies "word.word..." into b: atoms, and quoted strings when
 * quoted_ok (a local part); false when a word is missing. */
static bool
parse_dotted(struct lexer *lx, struct abuf *b, bool quoted_ok)
{
	for (;;) {
		if (lx->cur.type != TOK_ATOM &&
		    !(quoted_ok && lx->cur.type == TOK_QSTR))
			return false;
		abuf_add(b, lx->cur.p, lx->cur.len);
		lex_next(lx);
		if (!is_special(&lx->cur, '.'))
			return true;
		abuf_add(b, ".", 1);
		lex_next(lx);
	}
}

/* Reads an addr-spec (word *("." word) ["@" domain]) from the current
 * token on, stopping at the first token that cannot continue it. */
static bool
parse_addr_spec(struct lexer *lx, struct abuf *b)
{
	b->len = 0;
	b->s[0] = '\0';
	b->overflow = false;
	b->why = NULL;
	if (!parse_dotted(lx, b, true)) /* local part */
		return false;
	if (is_special(&lx->cur, '@')) {
		abuf_add(b, "@", 1);
		lex_next(lx);
		if (lx->cur.type == TOK_DLIT) {
			abuf_add(b, lx->cur.p, lx->cur.len);
			lex_next(lx);
		} else if (!parse_dotted(lx, b, false)) {
			return false;
		}
	}
	if (b->overflow) {
		b->why = "longer than 998 octets";
		return false;
	}
	return (b->why = addr_check(b->s)) == NULL;
}

/* Inside <...>: an optional obsolete route "@a,@b:" then an addr-spec. */
static bool
parse_angle(struct lexer *lx, struct abuf *b)
{
	lex_next(lx); /* past '<' */
	if (is_special(&lx->cur, '@')) {
		while (lx->cur.type != TOK_END && !is_special(&lx->cur, ':') &&
		    !is_special(&lx->cur, '>') && lx->cur.type != TOK_BAD)
			lex_next(lx);
		if (!is_special(&lx->cur, ':'))
			return false;
		lex_next(lx);
	}
	if (!parse_addr_spec(lx, b))
		return false;
	if (!is_special(&lx->cur, '>'))
		return false;
	lex_next(lx);
	return true;
}

/* One mailbox, or a group when in_group is false. */
static enum ms_status
parse_element(
    struct lexer *lx, bool in_group, addr_cb cb, void *arg, struct ms_err *err)
{
	struct abuf b;
	struct lexer save = *lx;
	size_t start = (size_t)(lx->cur.p - lx->s);
	enum ms_status st;

	/* A display name (or group name): words and dots up to '<' or ':'. */
	while (lx->cur.type == TOK_ATOM || lx->cur.type == TOK_QSTR ||
	    is_special(&lx->cur, '.'))
		lex_next(lx);
	if (is_special(&lx->cur, '<')) {
		b.why = NULL;
		if (!parse_angle(lx, &b))
			return bad_element(lx, start, b.why, err);
		return cb(b.s, arg, err);
	}
	if (is_special(&lx->cur, ':') && !in_group && lx->cur.p != save.cur.p) {
		lex_next(lx); /* group: list up to ';' */
		for (;;) {
			if (is_special(&lx->cur, ';')) {
				lex_next(lx);
				return MS_OK;
			}
			if (lx->cur.type == TOK_END)
				return MS_OK; /* lenient: missing ';' */
			if (is_special(&lx->cur, ',')) {
				lex_next(lx);
				continue;
			}
			st = parse_element(lx, true, cb, arg, err);
			if (st != MS_OK)
				return st;
			if (!is_special(&lx->cur, ',') &&
			    !is_special(&lx->cur, ';') &&
			    lx->cur.type != TOK_END)
				return bad_element(lx, start, NULL, err);
		}
	}
	/* Otherwise a bare addr-spec: start again from the element start. */
	*lx = save;
	if (!parse_addr_spec(lx, &b))
		return bad_element(lx, start, b.why, err);
	return cb(b.s, arg, err);
}

enum ms_status
addr_list_parse(
    const char *text, size_t len, addr_cb cb, void *arg, struct ms_err *err)
{
	struct lexer lx = { .s = text, .len = len, .pos = 0 };
	enum ms_status st;

	lex_next(&lx);
	for (;;) {
		size_t start = (size_t)(lx.cur.p - lx.s);

		if (lx.cur.type == TOK_BAD)
			return bad_element(&lx, lx.pos, NULL, err);
		if (lx.cur.type == TOK_END)
			return MS_OK;
		if (is_special(&lx.cur, ',')) {
			lex_next(&lx);
			continue;
		}
		st = parse_element(&lx, false, cb, arg, err);
		if (st != MS_OK)
			return st;
		if (!is_special(&lx.cur, ',') && lx.cur.type != TOK_END)
			return bad_element(&lx, start, NULL, err);
	}
}
