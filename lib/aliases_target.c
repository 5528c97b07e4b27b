/*
 * aliases_target.c - one target of an alias: what is refused (|pipe,
 *                    :include:, /file: mailshim delivers nothing on this
 *                    host and reads no other file), "Name <addr>", the
 *                    "\name" of a local mailbox, the address check, and
 *                    the cap on targets.
 *
 * API:    alias_add_target() (aliases_parser.h).
 * Trust:  the target is untrusted text from the table: quoted in every
 *         report (at most 200 bytes), checked by addr_check().
 * Errors: problems go to alias_problem() with the entry's line;
 *         MS_TEMP only when memory runs out.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "aliases_parser.h"

static bool
starts_icase(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* The kind of a target mailshim refuses (pipe, include, file) with the
 * reason, or NULL. A whole target in quotes is looked into. */
static const char *
refused_kind(const char *tok, size_t len, const char **why)
{
	const char *in = tok;
	size_t inlen = len;

	if (len >= 2 && tok[0] == '"' && tok[len - 1] == '"') {
		in = tok + 1;
		inlen = len - 2;
	}
	*why = "mailshim delivers nothing on this host";
	if (inlen > 0 && in[0] == '|')
		return "pipe";
	if (inlen > 0 && in[0] == '/')
		return "file";
	*why = "mailshim reads no other files";
	if (starts_icase(in, inlen, ":include:"))
		return "include";
	return NULL;
}

/* One comma-separated target, comments removed and trimmed, into tok.
 * Adds it to the alias being built, or reports why not. */
enum ms_status
alias_add_target(struct alias_parser *ps, struct alias *al, const char *name,
    char *tok, size_t len)
{
	char qb[220], qn[220];
	const char *t = tok;
	char **grown;
	char *copy;
	const char *kind, *why;
	bool mailbox;

	if ((kind = refused_kind(tok, len, &why)) != NULL) {
		alias_problem(ps, false,
		    "warning: alias \"%s\": %s target %s refused (%s); dropped",
		    ms_quote(qn, sizeof(qn), name, strlen(name)), kind,
		    ms_quote(qb, sizeof(qb), tok, len), why);
		return MS_OK;
	}

	/* "Name <addr>": the address is inside the brackets. */
	char *lt = NULL;
	bool inq = false;

	for (size_t i = 0; i < len && lt == NULL; i++) {
		if (inq && tok[i] == '\\' && i + 1 < len)
			i++;
		else if (tok[i] == '"')
			inq = !inq;
		else if (!inq && tok[i] == '<')
			lt = tok + i;
	}
	if (lt != NULL) {
		char *gt = memchr(lt, '>', len - (size_t)(lt - tok));

		if (gt == NULL) {
			alias_problem(ps, true,
			    "alias \"%s\": unterminated '<' in "
			    "target %s; target dropped",
			    ms_quote(qn, sizeof(qn), name, strlen(name)),
			    ms_quote(qb, sizeof(qb), tok, len));
			return MS_OK;
		}
		*gt = '\0';
		t = lt + 1;
		while (alias_is_blank(*t))
			t++;
		for (char *e = gt; e > t && alias_is_blank(e[-1]); e--)
			e[-1] = '\0';
	} else {
		tok[len] = '\0';
	}

	/* "\name" is name's own mailbox: a local name, never expanded. */
	mailbox = t[0] == '\\';
	if (!addr_valid(mailbox ? t + 1 : t) ||
	    (mailbox && !addr_is_local(t + 1))) {
		alias_problem(ps, true,
		    "alias \"%s\": invalid %s %s; target dropped",
		    ms_quote(qn, sizeof(qn), name, strlen(name)),
		    mailbox ? "local name" : "address",
		    ms_quote(qb, sizeof(qb), t, strlen(t)));
		return MS_OK;
	}
	if (al->ntargets >= ALIASES_MAX_RESULT) {
		alias_problem(ps, true,
		    "alias \"%s\": more than %d targets; the "
		    "rest dropped",
		    ms_quote(qn, sizeof(qn), name, strlen(name)),
		    ALIASES_MAX_RESULT);
		return MS_OK;
	}
	/* The same target twice in one alias is kept once. */
	for (size_t i = 0; i < al->ntargets; i++)
		if (strcmp(al->targets[i], t) == 0)
			return MS_OK;
	grown = realloc(al->targets, (al->ntargets + 1) * sizeof(*grown));
	if (grown == NULL)
		return MS_TEMP;
	al->targets = grown;
	copy = strdup(t);
	if (copy == NULL)
		return MS_TEMP;
	al->targets[al->ntargets++] = copy;
	return MS_OK;
}
