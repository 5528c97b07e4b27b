/*
 * aliases.c - the /etc/aliases table: parsing, validation and expansion of
 *             local recipients.
 *
 * API:    aliases_parse_buf(), aliases_load_report(), aliases_load(),
 *         aliases_resolve_host(), aliases_resolve(), aliases_check(),
 *         aliases_count(), aliases_free().  Documented in aliases.h.
 * Trust:  the text is parsed as untrusted: lines, names and targets are
 *         bounded, expansion is bounded in depth and size, nothing is
 *         executed or opened except the aliases file itself.
 * Errors: problems in the file go to a callback with their line; the
 *         functions return MS_OK, MS_CONFIG, MS_DATA or MS_TEMP.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliases.h"
#include "log.h"

struct alias {
	char *name;	/* lower case */
	int line;	/* where it was defined */
	char **targets; /* addresses; "\name" = name's own mailbox */
	size_t ntargets;
};

/* Open-addressing set of strings; used for the table index and for the
 * sets one expansion keeps. */
struct strset {
	char **slot; /* NULL = empty */
	size_t *val; /* per slot: a caller's number */
	size_t cap, n;
};

struct aliases {
	char *file;
	struct alias *v;
	size_t n, cap;
	struct strset index; /* name -> position in v */
};

/* ---- small helpers ---------------------------------------------------- */

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t
strset_pos(const struct strset *set, const char *s)
{
	size_t i = (size_t)hash_str(s) & (set->cap - 1);

	while (set->slot[i] != NULL && strcmp(set->slot[i], s) != 0)
		i = (i + 1) & (set->cap - 1);
	return i;
}

/* The value stored with s, or SIZE_MAX when s is not in the set. */
static size_t
strset_get(const struct strset *set, const char *s)
{
	size_t i;

	if (set->cap == 0)
		return SIZE_MAX;
	i = strset_pos(set, s);
	return set->slot[i] != NULL ? set->val[i] : SIZE_MAX;
}

static bool
strset_grow(struct strset *set)
{
	struct strset bigger;

	bigger.cap = set->cap == 0 ? 64 : set->cap * 2;
	bigger.n = set->n;
	bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
	bigger.val = calloc(bigger.cap, sizeof(*bigger.val));
	if (bigger.slot == NULL || bigger.val == NULL) {
		free(bigger.slot);
		free(bigger.val);
		return false;
	}
	for (size_t i = 0; i < set->cap; i++) {
		if (set->slot[i] != NULL) {
			size_t j = strset_pos(&bigger, set->slot[i]);

			bigger.slot[j] = set->slot[i];
			bigger.val[j] = set->val[i];
		}
	}
	free(set->slot);
	free(set->val);
	*set = bigger;
	return true;
}

/* Adds a copy of s with value val (s must not be in the set yet). */
static bool
strset_add(struct strset *set, const char *s, size_t val)
{
	size_t i;
	char *copy;

	if ((set->n + 1) * 2 > set->cap && !strset_grow(set))
		return false;
	copy = strdup(s);
	if (copy == NULL)
		return false;
	i = strset_pos(set, s);
	set->slot[i] = copy;
	set->val[i] = val;
	set->n++;
	return true;
}

static void
strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
	free(set->val);
	memset(set, 0, sizeof(*set));
}

static void
lower_ascii(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- parsing ---------------------------------------------------------- */

struct parser {
	struct aliases *a;
	aliases_problem_cb pcb;
	void *parg;
	int line; /* line of the entry being parsed */
	int nerrors;
};

static void problem(struct parser *ps, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct parser *ps, bool error, const char *fmt, ...)
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

/* Quotes untrusted text for a problem message. */
static const char *
q(char *buf, size_t size, const char *s, size_t len)
{
	return ms_quote(buf, size, s, len);
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

static bool
starts_icase(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* One comma-separated target, comments removed and trimmed, into tok.
 * Adds it to the alias being built, or reports why not. */
static enum ms_status
add_target(struct parser *ps, struct alias *al, const char *name, char *tok,
    size_t len)
{
	char qb[220], qn[220];
	const char *t = tok;
	char **grown;
	char *copy;

	/* A whole target in quotes: look inside for | and / forms. */
	const char *in = tok;
	size_t inlen = len;

	if (len >= 2 && tok[0] == '"' && tok[len - 1] == '"') {
		in = tok + 1;
		inlen = len - 2;
	}
	if (inlen > 0 && in[0] == '|') {
		problem(ps, false,
		    "warning: alias \"%s\": pipe target %s "
		    "refused (mailshim delivers nothing on this host); dropped",
		    q(qn, sizeof(qn), name, strlen(name)),
		    q(qb, sizeof(qb), tok, len));
		return MS_OK;
	}
	if (starts_icase(in, inlen, ":include:")) {
		problem(ps, false,
		    "warning: alias \"%s\": include target %s "
		    "refused (mailshim reads no other files); dropped",
		    q(qn, sizeof(qn), name, strlen(name)),
		    q(qb, sizeof(qb), tok, len));
		return MS_OK;
	}
	if (inlen > 0 && in[0] == '/') {
		problem(ps, false,
		    "warning: alias \"%s\": file target %s "
		    "refused (mailshim delivers nothing on this host); dropped",
		    q(qn, sizeof(qn), name, strlen(name)),
		    q(qb, sizeof(qb), tok, len));
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
			problem(ps, true,
			    "alias \"%s\": unterminated '<' in "
			    "target %s; target dropped",
			    q(qn, sizeof(qn), name, strlen(name)),
			    q(qb, sizeof(qb), tok, len));
			return MS_OK;
		}
		*gt = '\0';
		t = lt + 1;
		while (is_blank(*t))
			t++;
		for (char *e = gt; e > t && is_blank(e[-1]); e--)
			e[-1] = '\0';
	} else {
		tok[len] = '\0';
	}

	if (t[0] == '\\') {
		if (t[1] == '\0' || !addr_valid(t + 1) ||
		    !addr_is_local(t + 1)) {
			problem(ps, true,
			    "alias \"%s\": invalid local name %s; "
			    "target dropped",
			    q(qn, sizeof(qn), name, strlen(name)),
			    q(qb, sizeof(qb), t, strlen(t)));
			return MS_OK;
		}
	} else if (!addr_valid(t)) {
		problem(ps, true,
		    "alias \"%s\": invalid address %s; target "
		    "dropped",
		    q(qn, sizeof(qn), name, strlen(name)),
		    q(qb, sizeof(qb), t, strlen(t)));
		return MS_OK;
	}
	if (al->ntargets >= ALIASES_MAX_RESULT) {
		problem(ps, true,
		    "alias \"%s\": more than %d targets; the "
		    "rest dropped",
		    q(qn, sizeof(qn), name, strlen(name)), ALIASES_MAX_RESULT);
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
parse_targets(struct parser *ps, struct alias *al, const char *name,
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

		while (b < e && is_blank(tok[b]))
			b++;
		while (e > b && is_blank(tok[e - 1]))
			e--;
		if (e > b) {
			(*seen)++;
			memmove(tok, tok + b, e - b);
			st = add_target(ps, al, name, tok, e - b);
		}
		n = 0;
		angle = 0;
	}
	if (st == MS_OK && (inq || paren > 0)) {
		char qn[220];

		problem(ps, true,
		    "alias \"%s\": unterminated %s in the target "
		    "list",
		    q(qn, sizeof(qn), name, strlen(name)),
		    inq ? "quote" : "comment");
	}
	free(tok);
	return st;
}

/* Parses one logical line (continuations already joined). */
static enum ms_status
parse_entry(struct parser *ps, const char *s, size_t len)
{
	char name[ADDR_MAX + 1], qb[220];
	struct alias al = { 0 };
	size_t pos = 0, seen = 0;
	enum ms_status st;

	if (memchr(s, '\0', len) != NULL) {
		problem(ps, true, "NUL byte in the line; line ignored");
		return MS_OK;
	}
	if (s[0] == '"') {
		if (!parse_quoted(s, len, &pos, name, sizeof(name))) {
			problem(ps, true,
			    "unterminated or too long quoted name; "
			    "line ignored");
			return MS_OK;
		}
	} else {
		size_t n = 0;

		while (pos < len && s[pos] != ':' && !is_blank(s[pos])) {
			if (n + 1 >= sizeof(name)) {
				problem(ps, true,
				    "alias name too long; line "
				    "ignored");
				return MS_OK;
			}
			name[n++] = s[pos++];
		}
		name[n] = '\0';
	}
	while (pos < len && is_blank(s[pos]))
		pos++;
	if (pos >= len || s[pos] != ':') {
		problem(ps, true,
		    "expected \"name: target, ...\", found %s; "
		    "line ignored",
		    q(qb, sizeof(qb), s, len));
		return MS_OK;
	}
	pos++;
	if (name[0] == '\0') {
		problem(ps, true, "empty alias name; line ignored");
		return MS_OK;
	}
	for (const char *c = name; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '@') {
			problem(ps, true,
			    "alias name %s must be a local name "
			    "(no '@' or control characters); line ignored",
			    q(qb, sizeof(qb), name, strlen(name)));
			return MS_OK;
		}
	}
	lower_ascii(name);

	al.name = strdup(name);
	if (al.name == NULL)
		return MS_TEMP;
	al.line = ps->line;
	st = parse_targets(ps, &al, name, s + pos, len - pos, &seen);
	if (st != MS_OK)
		goto out;
	if (seen == 0) {
		problem(ps, true, "alias \"%s\" has no targets; line ignored",
		    q(qb, sizeof(qb), name, strlen(name)));
		goto out;
	}
	if (al.ntargets == 0) {
		problem(ps, false,
		    "warning: alias \"%s\" has no usable "
		    "target; ignored (mail to it is treated as if it had no "
		    "alias)",
		    q(qb, sizeof(qb), name, strlen(name)));
		goto out;
	}
	size_t first = strset_get(&ps->a->index, name);
	if (first != SIZE_MAX) {
		problem(ps, false,
		    "warning: duplicate alias \"%s\" ignored "
		    "(first defined at line %d)",
		    q(qb, sizeof(qb), name, strlen(name)),
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
	struct parser ps = { 0 };
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
		while (lead < n && is_blank(p[lead]))
			lead++;
		if (lead == n || p[lead] == '#')
			continue; /* blank or comment: ignored */
		if (lead > 0) {
			/* Continuation of the entry before. */
			if (!have) {
				ps.line = lineno;
				problem(&ps, true,
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
				problem(&ps, true,
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

static void
log_problem(const char *file, int line, bool error, const char *msg, void *arg)
{
	(void)arg;
	(void)error;
	log_msg(LOG_WARNING, "%s:%d: %s", file, line, msg);
}

enum ms_status
aliases_load_report(struct aliases **out, const char *path,
    aliases_problem_cb pcb, void *parg, struct ms_err *err)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	enum ms_status st;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return aliases_parse_buf(out, "", 0, path, pcb, parg, err);
	if (fd < 0)
		return ms_err_set(err, MS_CONFIG, "cannot read %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) != 0) {
		st = ms_err_set(err, MS_CONFIG, "cannot read %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		st = ms_err_set(err, MS_CONFIG,
		    "cannot read %s: not a "
		    "regular file",
		    path);
		goto out;
	}
	if (sb.st_size > ALIASES_MAX_FILE) {
		st = ms_err_set(err, MS_CONFIG, "%s: larger than %ld bytes",
		    path, ALIASES_MAX_FILE);
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL) {
		st = ms_err_set(err, MS_TEMP, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, (size_t)sb.st_size + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st = ms_err_set(err, MS_CONFIG, "cannot read %s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > (size_t)sb.st_size) {
			st = ms_err_set(err, MS_CONFIG,
			    "cannot read %s: it "
			    "changed while being read",
			    path);
			goto out;
		}
	}
	st = aliases_parse_buf(out, buf, len, path, pcb, parg, err);
out:
	free(buf);
	close(fd);
	return st;
}

enum ms_status
aliases_load(struct aliases **out, const char *path, struct ms_err *err)
{
	return aliases_load_report(out, path, log_problem, NULL, err);
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

/* ---- expansion -------------------------------------------------------- */

enum kind { K_LOCAL, K_DOMAIN, K_OTHER };

struct resolver {
	const struct aliases *a;
	const char *domain, *hostname, *catchall;
	size_t shortlen; /* length of hostname's first label */
	addr_cb cb;
	void *arg;
	struct strset seen; /* addresses already passed to cb */
	struct strset done; /* aliases already expanded */
	const struct alias *chain[ALIASES_MAX_DEPTH];
	size_t depth;
};

static bool
local_host(const struct resolver *rs, const char *dom)
{
	if (strcasecmp(dom, "localhost") == 0 ||
	    strcasecmp(dom, "localhost.localdomain") == 0)
		return true;
	if (rs->hostname == NULL || rs->hostname[0] == '\0')
		return false;
	if (strcasecmp(dom, rs->hostname) == 0)
		return true;
	return strlen(dom) == rs->shortlen &&
	    strncasecmp(dom, rs->hostname, rs->shortlen) == 0;
}

/* Splits addr into its local part (copied, lower case, into key) and a
 * kind. */
static enum kind
classify(const struct resolver *rs, const char *addr, char *key, size_t keysize,
    size_t *locallen)
{
	const char *dom = addr_domain(addr);
	size_t n = dom != NULL ? (size_t)(dom - 1 - addr) : strlen(addr);

	*locallen = n;
	if (n >= keysize)
		n = keysize - 1;
	memcpy(key, addr, n);
	key[n] = '\0';
	lower_ascii(key);
	if (dom == NULL || local_host(rs, dom))
		return K_LOCAL;
	if (rs->domain != NULL && strcasecmp(dom, rs->domain) == 0)
		return K_DOMAIN;
	return K_OTHER;
}

static enum ms_status
emit(struct resolver *rs, const char *addr, struct ms_err *err)
{
	if (strset_get(&rs->seen, addr) != SIZE_MAX)
		return MS_OK;
	if (rs->seen.n >= ALIASES_MAX_RESULT)
		return ms_err_set(err, MS_CONFIG,
		    "alias expansion gives more "
		    "than %d addresses",
		    ALIASES_MAX_RESULT);
	if (!strset_add(&rs->seen, addr, 0))
		return ms_err_set(err, MS_TEMP,
		    "out of memory expanding "
		    "aliases");
	return rs->cb(addr, rs->arg, err);
}

/* A local name with no alias: the catch-all address, or name@domain. */
static enum ms_status
emit_mailbox(
    struct resolver *rs, const char *addr, size_t locallen, struct ms_err *err)
{
	const char *base = rs->catchall != NULL && rs->catchall[0] != '\0'
	    ? rs->catchall
	    : NULL;
	size_t dlen = rs->domain != NULL ? strlen(rs->domain) : 0;
	enum ms_status st;
	char *full;

	if (base != NULL) {
		full = addr_qualify(base, rs->domain);
	} else {
		full = malloc(locallen + dlen + 2);
		if (full != NULL) {
			memcpy(full, addr, locallen);
			full[locallen] = '\0';
			if (dlen > 0) {
				full[locallen] = '@';
				memcpy(
				    full + locallen + 1, rs->domain, dlen + 1);
			}
		}
	}
	if (full == NULL)
		return ms_err_set(err, MS_TEMP,
		    "out of memory expanding "
		    "aliases");
	st = emit(rs, full, err);
	free(full);
	return st;
}

/* Writes "a -> b -> ... -> last" into err with the given lead text. */
static enum ms_status
chain_error(const struct resolver *rs, const char *lead, const char *last,
    struct ms_err *err)
{
	char qb[220];
	size_t n;
	int w;

	if (err == NULL)
		return MS_CONFIG;
	w = snprintf(err->msg, sizeof(err->msg), "%s: ", lead);
	n = w > 0 ? (size_t)w : 0;
	for (size_t i = 0; i <= rs->depth && n < sizeof(err->msg); i++) {
		const char *name = i < rs->depth ? rs->chain[i]->name : last;

		w = snprintf(err->msg + n, sizeof(err->msg) - n, "%s%s",
		    i > 0 ? " -> " : "", q(qb, sizeof(qb), name, strlen(name)));
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return MS_CONFIG;
}

static enum ms_status
expand(struct resolver *rs, const char *addr, bool noexpand, struct ms_err *err)
{
	char key[ADDR_MAX + 1];
	size_t locallen, pos;
	enum kind kind;
	const struct alias *al;
	enum ms_status st;

	kind = classify(rs, addr, key, sizeof(key), &locallen);
	if (kind == K_OTHER)
		return emit(rs, addr, err);
	pos = noexpand || rs->a == NULL ? SIZE_MAX
					: strset_get(&rs->a->index, key);
	if (pos == SIZE_MAX)
		return kind == K_LOCAL ? emit_mailbox(rs, addr, locallen, err)
				       : emit(rs, addr, err);
	al = &rs->a->v[pos];
	/* "root: root, ops": the name itself means its own mailbox. */
	if (rs->depth > 0 && rs->chain[rs->depth - 1] == al)
		return kind == K_LOCAL ? emit_mailbox(rs, addr, locallen, err)
				       : emit(rs, addr, err);
	for (size_t i = 0; i < rs->depth; i++)
		if (rs->chain[i] == al)
			return chain_error(rs, "alias loop", al->name, err);
	if (strset_get(&rs->done, al->name) != SIZE_MAX)
		return MS_OK; /* expanded already; its addresses are out */
	if (rs->depth == ALIASES_MAX_DEPTH)
		return chain_error(
		    rs, "aliases nested too deep", al->name, err);
	rs->chain[rs->depth++] = al;
	for (size_t i = 0; i < al->ntargets; i++) {
		const char *t = al->targets[i];

		st = t[0] == '\\' ? expand(rs, t + 1, true, err)
				  : expand(rs, t, false, err);
		if (st != MS_OK)
			return st;
	}
	rs->depth--;
	if (!strset_add(&rs->done, al->name, 0))
		return ms_err_set(err, MS_TEMP,
		    "out of memory expanding "
		    "aliases");
	return MS_OK;
}

enum ms_status
aliases_resolve_host(const struct aliases *a, const char *addr,
    const char *domain, const char *hostname, const char *catchall, addr_cb cb,
    void *arg, struct ms_err *err)
{
	struct resolver rs = { 0 };
	enum ms_status st;

	if (addr == NULL || addr[0] == '\0')
		return ms_err_set(err, MS_DATA, "empty recipient address");
	rs.a = a;
	rs.domain = domain != NULL && domain[0] != '\0' ? domain : NULL;
	rs.hostname = hostname;
	rs.catchall = catchall;
	if (hostname != NULL)
		rs.shortlen = strcspn(hostname, ".");
	rs.cb = cb;
	rs.arg = arg;
	st = expand(&rs, addr, false, err);
	strset_free(&rs.seen);
	strset_free(&rs.done);
	return st;
}

enum ms_status
aliases_resolve(const struct aliases *a, const char *addr, const char *domain,
    const char *catchall, addr_cb cb, void *arg, struct ms_err *err)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	return aliases_resolve_host(
	    a, addr, domain, host, catchall, cb, arg, err);
}

static enum ms_status
discard(const char *addr, void *arg, struct ms_err *err)
{
	(void)addr;
	(void)arg;
	(void)err;
	return MS_OK;
}

int
aliases_check(const struct aliases *a, const char *domain, const char *hostname,
    const char *catchall, aliases_problem_cb pcb, void *parg)
{
	struct ms_err err;
	int bad = 0;

	for (size_t i = 0; i < aliases_count(a); i++) {
		enum ms_status st = aliases_resolve_host(a, a->v[i].name,
		    domain, hostname, catchall, discard, NULL, &err);

		if (st == MS_OK)
			continue;
		bad++;
		if (pcb != NULL)
			pcb(a->file, a->v[i].line, true, err.msg, parg);
	}
	return bad;
}
