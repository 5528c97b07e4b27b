/*
 * aliases_resolve.c - expanding a recipient through the aliases table:
 *                     local names, nested aliases, loops named with their
 *                     chain, the depth and size limits, and the checks
 *                     `mailshim newaliases` reports.
 *
 * API:    aliases_resolve_host(), aliases_resolve(), aliases_check().
 *         Documented in aliases.h.
 * Trust:  expansion is bounded in depth and size; nothing is executed.
 * Errors: MS_OK, MS_DATA (loop, too deep, too many) or MS_TEMP.
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
#include "aliases_table.h"
#include "log.h"

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
	aliases_lower(key);
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
		    i > 0 ? " -> " : "",
		    ms_quote(qb, sizeof(qb), name, strlen(name)));
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
