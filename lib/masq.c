/*
 * masq.c - masquerading: local senders (envelope and From:) take the
 *          configured domain.
 *
 * API:    masq_sender(), masq_header_from(), masq_is_local_domain().
 *         Documented in masq.h.
 * Trust:  input is untrusted; every scan is bounded by the input length
 *         and nothing recurses.
 * Errors: MS_TEMP when memory runs out; anything not understood is kept.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "hdrtext.h"
#include "masq.h"

bool
masq_is_local_domain(const char *dom, const char *hostname)
{
	size_t shortlen;

	if (dom == NULL)
		return true;
	if (strcasecmp(dom, "localhost") == 0 ||
	    strcasecmp(dom, "localhost.localdomain") == 0)
		return true;
	if (hostname == NULL || hostname[0] == '\0')
		return false;
	if (strcasecmp(dom, hostname) == 0)
		return true;
	shortlen = strcspn(hostname, ".");
	return strlen(dom) == shortlen &&
	    strncasecmp(dom, hostname, shortlen) == 0;
}

/* The rewritten form of the address a[0..len) or NULL when it stays as
 * it is; *oom is set when memory ran out. */
static char *
rewrite(const char *a, size_t len, const char *domain, const char *hostname,
    bool *oom)
{
	char *copy, *out;
	const char *dom;
	size_t local;

	*oom = false;
	if (len == 0 || domain == NULL || domain[0] == '\0')
		return NULL;
	copy = strndup(a, len);
	if (copy == NULL) {
		*oom = true;
		return NULL;
	}
	if (!addr_valid(copy)) {
		free(copy); /* not an address we understand: keep it */
		return NULL;
	}
	dom = addr_domain(copy);
	if (!masq_is_local_domain(dom, hostname) ||
	    (dom != NULL && strcasecmp(dom, domain) == 0)) {
		free(copy);
		return NULL;
	}
	local = dom != NULL ? (size_t)(dom - 1 - copy) : len;
	if (local == 0) {
		free(copy); /* "@localhost": nothing to keep */
		return NULL;
	}
	out = malloc(local + strlen(domain) + 2);
	if (out == NULL) {
		*oom = true;
	} else {
		memcpy(out, copy, local);
		out[local] = '@';
		memcpy(out + local + 1, domain, strlen(domain) + 1);
	}
	free(copy);
	return out;
}

enum ms_status
masq_sender(
    const char *addr, const char *domain, const char *hostname, char **out)
{
	bool oom;
	char *r;

	*out = NULL;
	if (addr[0] == '\0' || strcmp(addr, "<>") == 0) {
		*out = strdup("");
		return *out != NULL ? MS_OK : MS_TEMP;
	}
	r = rewrite(addr, strlen(addr), domain, hostname, &oom);
	if (oom)
		return MS_TEMP;
	*out = r != NULL ? r : strdup(addr);
	return *out != NULL ? MS_OK : MS_TEMP;
}

/* ---- From: header values ---------------------------------------------- */

/* Finds the address of one mailbox s[0..len): the text inside its
 * top-level <...>, or, without brackets, the single run of text outside
 * comments and white space. False when there is no such address (group,
 * several runs, unbalanced brackets). */
static bool
find_address(const char *s, size_t len, size_t *start, size_t *end)
{
	size_t i = 0, runs = 0, rs = 0, re = 0;
	bool in_run = false, bad = false;

	while (i < len) {
		char c = s[i];

		if (c == '<') {
			size_t j = i + 1;

			while (j < len && s[j] != '>') {
				j = s[j] == '"'
				    ? hdrtext_skip_quoted(s, len, j, &bad)
				    : j + 1;
				if (bad)
					return false;
			}
			if (j >= len)
				return false;
			*start = i + 1;
			*end = j;
			while (*start < *end && hdrtext_is_wsp(s[*start]))
				(*start)++;
			while (*end > *start && hdrtext_is_wsp(s[*end - 1]))
				(*end)--;
			return true;
		}
		if (c == ':' || c == ';' || c == '>')
			return false; /* group syntax or junk: leave it */
		if (c == '(' || hdrtext_is_wsp(c)) {
			if (in_run)
				re = i;
			in_run = false;
			i = c == '(' ? hdrtext_skip_comment(s, len, i, &bad)
				     : i + 1;
			continue;
		}
		if (!in_run) {
			/* "Name Words" without brackets is not an address. */
			if (runs > 0) {
				size_t k = i;

				while (k < len && s[k] != '<')
					k++;
				if (k == len)
					return false;
			}
			runs++;
			rs = i;
			in_run = true;
		}
		i = c == '"' ? hdrtext_skip_quoted(s, len, i, &bad) : i + 1;
		if (bad)
			return false; /* unterminated quote */
	}
	if (in_run)
		re = len;
	if (runs != 1)
		return false;
	*start = rs;
	*end = re;
	return true;
}

enum ms_status
masq_header_from(
    const char *value, const char *domain, const char *hostname, char **out)
{
	struct hdrtext_buf b = { 0 };
	size_t len = strlen(value), seg = 0;
	bool bad = false; /* unterminated: the rest is one mailbox */

	*out = NULL;
	hdrtext_add(&b, "", 0);
	for (size_t i = 0; i <= len && !b.oom; i++) {
		size_t s, e;
		bool oom;
		char *r;

		if (i < len) {
			if (value[i] == '"') {
				i = hdrtext_skip_quoted(value, len, i, &bad) -
				    1;
				continue;
			}
			if (value[i] == '(') {
				i = hdrtext_skip_comment(value, len, i, &bad) -
				    1;
				continue;
			}
			if (value[i] == '<') {
				while (i + 1 < len && value[i + 1] != '>')
					i++;
				continue;
			}
			if (value[i] != ',')
				continue;
		}
		/* One mailbox: value[seg..i). */
		r = NULL;
		if (find_address(value + seg, i - seg, &s, &e)) {
			r = rewrite(
			    value + seg + s, e - s, domain, hostname, &oom);
			if (oom)
				b.oom = true;
		}
		if (r != NULL) {
			hdrtext_add(&b, value + seg, s);
			hdrtext_add(&b, r, strlen(r));
			hdrtext_add(&b, value + seg + e, i - seg - e);
			free(r);
		} else {
			hdrtext_add(&b, value + seg, i - seg);
		}
		if (i < len)
			hdrtext_add(&b, ",", 1);
		seg = i + 1;
	}
	if (b.oom) {
		free(b.p);
		return MS_TEMP;
	}
	*out = b.p;
	return MS_OK;
}
