/*
 * aliases_parse.c - reading the /etc/aliases table: lines, continuations,
 *                   quoting, comments, entries and their target lists.
 *                   One target (and what is refused: :include:, |pipe,
 *                   /file) is read by aliases_target.c, the file by
 *                   aliases_load.c.
 *
 * API:    aliases_parse_buf(), aliases_count(), aliases_free()
 *         (aliases.h); alias_problem() (aliases_parser.h).
 * Trust:  the text is parsed as untrusted: lines, names and targets are
 *         bounded; nothing is executed or opened except the file itself.
 * Errors: problems in the file go to a callback with their line; the
 *         functions return MS_OK, MS_CONFIG, MS_DATA or MS_TEMP.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases.h"
#include "aliases_parser.h"

void
alias_problem(struct alias_parser *ps, bool error, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	if (error)
		ps->nerrors++;
	if (ps->pcb == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->pcb(ps->a->file, ps->line, error, msg, ps->parg);
}

/* Reads a quoted name starting at s[*pos] == '"' into name (size cap).
 * False when the quote is not closed or the name does not fit. */
static bool
parse_quoted(const char *s, size_t len, size_t *pos, char *name, size_t cap)
{
	size_t n = 0, i = *pos + 1;

	for (; i < len && s[i] != '"'; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		if (n + 1 >= cap)
			return false;
		name[n++] = s[i];
	}
	if (i >= len)
		return false;
	name[n] = '\0';
	*pos = i + 1;
	return true;
}

static void
alias_clear(struct alias *al)
{
	for (size_t i = 0; i < al->ntargets; i++)
		free(al->targets[i]);
	free(al->targets);
	free(al->name);
	memset(al, 0, sizeof(*al));
}

/* Splits the target list s[0..len) on commas outside quotes, brackets and
 * comments, dropping comments, and adds each target. */
static enum ms_status
parse_targets(struct alias_parser *ps, struct alias *al, const char *name,
    const char *s, size_t len, size_t *seen)
{
	char *tok = malloc(len + 1);
	size_t n = 0;
	bool inq = false;
	int angle = 0, paren = 0;
	enum ms_status st = MS_OK;

	if (tok == NULL)
		return MS_TEMP;
	*seen = 0;
	for (size_t i = 0; i <= len && st == MS_OK; i++) {
		char c = i < len ? s[i] : ',';

		if (i < len && inq) {
			tok[n++] = c;
			if (c == '\\' && i + 1 < len)
				tok[n++] = s[++i];
			else if (c == '"')
				inq = false;
			continue;
		}
		if (i < len && paren > 0) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '(')
				paren++;
			else if (c == ')')
				paren--;
			continue;
		}
		if (c == '(' && angle == 0) {
			paren = 1;
			continue;
		}
		if (c == '"')
			inq = true;
		else if (c == '<')
			angle++;
		else if (c == '>' && angle > 0)
			angle--;
		if (c != ',' || (angle > 0 && i < len)) {
			tok[n++] = c;
			continue;
		}
		/* End of one target: trim and add. */
		size_t b = 0, e = n;

		while (b < e && alias_is_blank(tok[b]))
			b++;
		while (e > b && alias_is_blank(tok[e - 1]))
			e--;
		if (e > b) {
			(*seen)++;
			memmove(tok, tok + b, e - b);
			st = alias_add_target(ps, al, name, tok, e - b);
		}
		n = 0;
		angle = 0;
	}
	if (st == MS_OK && (inq || paren > 0)) {
		char qn[220];

		alias_problem(ps, true,
		    "alias \"%s\": unterminated %s in the target "
		    "list",
		    ms_quote(qn, sizeof(qn), name, strlen(name)),
		    inq ? "quote" : "comment");
	}
	free(tok);
	return st;
}

/* Parses one logical line (continuations already joined). */
static enum ms_status
parse_entry(struct alias_parser *ps, const char *s, size_t len)
{
	char name[ADDR_MAX + 1], qb[220];
	struct alias al = { 0 };
	size_t pos = 0, seen = 0;
	enum ms_status st;

	if (memchr(s, '\0', len) != NULL) {
		alias_problem(ps, true, "NUL byte in the line; line ignored");
		return MS_OK;
	}
	if (s[0] == '"') {
		if (!parse_quoted(s, len, &pos, name, sizeof(name))) {
			alias_problem(ps, true,
			    "unterminated or too long quoted name; "
			    "line ignored");
			return MS_OK;
		}
	} else {
		size_t n = 0;

		while (pos < len && s[pos] != ':' && !alias_is_blank(s[pos])) {
			if (n + 1 >= sizeof(name)) {
				alias_problem(ps, true,
				    "alias name too long; line "
				    "ignored");
				return MS_OK;
			}
			name[n++] = s[pos++];
		}
		name[n] = '\0';
	}
	while (pos < len && alias_is_blank(s[pos]))
		pos++;
	if (pos >= len || s[pos] != ':') {
		alias_problem(ps, true,
		    "expected \"name: target, ...\", found %s; "
		    "line ignored",
		    ms_quote(qb, sizeof(qb), s, len));
		return MS_OK;
	}
	pos++;
	if (name[0] == '\0') {
		alias_problem(ps, true, "empty alias name; line ignored");
		return MS_OK;
	}
	for (const char *c = name; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '@') {
			alias_problem(ps, true,
			    "alias name %s must be a local name "
			    "(no '@' or control characters); line ignored",
			    ms_quote(qb, sizeof(qb), name, strlen(name)));
			return MS_OK;
		}
	}
	aliases_lower(name);

	al.name = strdup(name);
	if (al.name == NULL)
		return MS_TEMP;
	al.line = ps->line;
	st = parse_targets(ps, &al, name, s + pos, len - pos, &seen);
	if (st != MS_OK)
		goto out;
	if (seen == 0) {
		alias_problem(ps, true,
		    "alias \"%s\" has no targets; line ignored",
		    ms_quote(qb, sizeof(qb), name, strlen(name)));
		goto out;
	}
	if (al.ntargets == 0) {
		alias_problem(ps, false,
		    "warning: alias \"%s\" has no usable "
		    "target; ignored (mail to it is treated as if it had no "
		    "alias)",
		    ms_quote(qb, sizeof(qb), name, strlen(name)));
		goto out;
	}
	size_t first = strset_get(&ps->a->index, name);
	if (first != SIZE_MAX) {
		alias_problem(ps, false,
		    "warning: duplicate alias \"%s\" ignored "
		    "(first defined at line %d)",
		    ms_quote(qb, sizeof(qb), name, strlen(name)),
		    ps->a->v[first].line);
		goto out;
	}
	if (ps->a->n == ps->a->cap) {
		size_t cap = ps->a->cap == 0 ? 16 : ps->a->cap * 2;
		struct alias *v = realloc(ps->a->v, cap * sizeof(*v));

		if (v == NULL) {
			st = MS_TEMP;
			goto out;
		}
		ps->a->v = v;
		ps->a->cap = cap;
	}
	if (!strset_add(&ps->a->index, name, ps->a->n)) {
		st = MS_TEMP;
		goto out;
	}
	ps->a->v[ps->a->n++] = al;
	return MS_OK;
out:
	alias_clear(&al);
	return st;
}

enum ms_status
aliases_parse_buf(struct aliases **out, const char *buf, size_t len,
    const char *file, aliases_problem_cb pcb, void *parg, struct ms_err *err)
{
	struct alias_parser ps = { 0 };
	char *logical = NULL;
	size_t llen = 0, pos = 0;
	bool have = false, toolong = false;
	int lineno = 0;
	enum ms_status st = MS_OK;

	*out = NULL;
	if (len > (size_t)ALIASES_MAX_FILE)
		return ms_err_set(err, MS_CONFIG, "%s: larger than %ld bytes",
		    file, ALIASES_MAX_FILE);
	ps.a = calloc(1, sizeof(*ps.a));
	logical = malloc(ALIASES_MAX_LINE + 1);
	if (ps.a == NULL || logical == NULL ||
	    (ps.a->file = strdup(file)) == NULL) {
		st = ms_err_set(err, MS_TEMP, "%s: out of memory", file);
		goto fail;
	}
	ps.pcb = pcb;
	ps.parg = parg;

	while (pos < len || have) {
		const char *p = buf + pos, *nl;
		size_t n, lead = 0;

		if (pos >= len) {
			n = 0;
			goto flush; /* end of text: finish the last entry */
		}
		nl = memchr(p, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - p) : len - pos;
		pos += n + (nl != NULL);
		lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		while (lead < n && alias_is_blank(p[lead]))
			lead++;
		if (lead == n || p[lead] == '#')
			continue; /* blank or comment: ignored */
		if (lead > 0) {
			/* Continuation of the entry before. */
			if (!have) {
				ps.line = lineno;
				alias_problem(&ps, true,
				    "continuation line without "
				    "an alias before it; line ignored");
				continue;
			}
			if (llen + 1 + (n - lead) > ALIASES_MAX_LINE) {
				toolong = true;
				continue;
			}
			logical[llen++] = ' ';
			memcpy(logical + llen, p + lead, n - lead);
			llen += n - lead;
			continue;
		}
	flush:
		if (have) {
			if (toolong) {
				alias_problem(&ps, true,
				    "entry longer than %d bytes; "
				    "ignored",
				    ALIASES_MAX_LINE);
			} else {
				st = parse_entry(&ps, logical, llen);
				if (st != MS_OK) {
					ms_err_set(
					    err, st, "%s: out of memory", file);
					goto fail;
				}
			}
			have = false;
		}
		if (n == 0)
			continue; /* only reached at the end of text */
		ps.line = lineno;
		have = true;
		toolong = n > ALIASES_MAX_LINE;
		llen = toolong ? 0 : n;
		if (!toolong)
			memcpy(logical, p, n);
	}
	free(logical);
	*out = ps.a;
	return MS_OK;
fail:
	free(logical);
	aliases_free(ps.a);
	return st;
}

size_t
aliases_count(const struct aliases *a)
{
	return a == NULL ? 0 : a->n;
}

void
aliases_free(struct aliases *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++)
		alias_clear(&a->v[i]);
	free(a->v);
	strset_free(&a->index);
	free(a->file);
	free(a);
}
