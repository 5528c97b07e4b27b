/*
 * qualify.c - "@domain" for bare local addresses in address headers.
 *
 * API:    qualify_header(), qualify_list().  Documented in qualify.h.
 * Trust:  header text is untrusted; every scan is bounded by its length,
 *         nothing recurses, and an address is changed only when the
 *         result passes addr_valid().
 * Errors: MS_TEMP when memory runs out.
 *
 * An address list (RFC 5322 3.4) is cut at the commas, colons and
 * semicolons outside quoted strings, comments, domain literals and angle
 * brackets. A piece ending in ':' is a group's name and is kept. In any
 * other piece the address is the text inside <...> (after an obsolete
 * route "@a,@b:"), or else the piece itself; without its surrounding
 * comments and white space it must be one local part with no '@' to get
 * "@domain", inserted right after it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "hdrtext.h"
#include "qualify.h"

/* Index past the angle address at s[i] == '<' (at its '>'+1). */
static size_t
skip_angle(const char *s, size_t len, size_t i, bool *bad)
{
	for (i++; i < len; i++) {
		if (s[i] == '"')
			i = hdrtext_skip_quoted(s, len, i, bad) - 1;
		else if (s[i] == '(')
			i = hdrtext_skip_comment(s, len, i, bad) - 1;
		else if (s[i] == '[')
			i = hdrtext_skip_literal(s, len, i, bad) - 1;
		else if (s[i] == '\\')
			i++;
		else if (s[i] == '>')
			return i + 1;
		if (*bad)
			return len;
	}
	*bad = true;
	return len;
}

/* s[a..b) holds one addr-spec with optional comments and white space
 * around it. Sets *end to where "@domain" goes and returns true when it
 * is a single local part without '@' that becomes a valid address. */
static bool
bare_local(const char *s, size_t a, size_t b, const char *domain, size_t *end)
{
	size_t fs = b, fe = a, i = a;
	bool bad = false;
	char *cand;
	size_t dl = strlen(domain);
	bool ok;

	/* first and last byte outside comments and white space */
	while (i < b) {
		if (hdrtext_is_wsp(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '(') {
			i = hdrtext_skip_comment(s, b, i, &bad);
			if (bad)
				return false;
			continue;
		}
		if (fs == b)
			fs = i;
		if (s[i] == '"')
			i = hdrtext_skip_quoted(s, b, i, &bad);
		else
			i++;
		if (bad)
			return false;
		fe = i;
	}
	if (fs >= fe)
		return false;
	/* inside: no white space, comment or '@' outside quotes */
	for (i = fs; i < fe;) {
		if (s[i] == '"') {
			i = hdrtext_skip_quoted(s, fe, i, &bad);
			if (bad)
				return false;
			continue;
		}
		if (hdrtext_is_wsp(s[i]) || s[i] == '(' || s[i] == '@' ||
		    s[i] == '[' || s[i] == '\\')
			return false;
		i++;
	}
	if (fe - fs + 1 + dl > ADDR_MAX)
		return false;
	cand = malloc(fe - fs + dl + 2);
	if (cand == NULL)
		return false; /* left as it was; memory is checked later */
	memcpy(cand, s + fs, fe - fs);
	cand[fe - fs] = '@';
	memcpy(cand + (fe - fs) + 1, domain, dl + 1);
	ok = addr_valid(cand);
	free(cand);
	*end = fe;
	return ok;
}

/* One piece of an address list, s[a..b), not a group name. */
static void
piece(struct hdrtext_buf *out, const char *s, size_t a, size_t b,
    const char *domain)
{
	size_t i = a, lt = b, gt = b, end;
	bool bad = false;

	while (i < b && lt == b) {
		if (s[i] == '"')
			i = hdrtext_skip_quoted(s, b, i, &bad);
		else if (s[i] == '(')
			i = hdrtext_skip_comment(s, b, i, &bad);
		else if (s[i] == '[')
			i = hdrtext_skip_literal(s, b, i, &bad);
		else if (s[i] == '<')
			lt = i;
		else
			i++;
		if (bad)
			break;
	}
	if (!bad && lt < b) {
		gt = skip_angle(s, b, lt, &bad);
		if (!bad) {
			size_t in = lt + 1, j = in;

			gt--; /* the '>' */
			/* an obsolete route "@a,@b:": the address follows */
			while (j < gt && hdrtext_is_wsp(s[j]))
				j++;
			if (j < gt && s[j] == '@') {
				while (j < gt && s[j] != ':')
					j++;
				if (j == gt)
					bad = true;
				in = j + 1;
			}
			if (!bad && bare_local(s, in, gt, domain, &end))
				goto insert;
		}
	} else if (!bad && bare_local(s, a, b, domain, &end)) {
		goto insert;
	}
	hdrtext_add(out, s + a, b - a);
	return;
insert:
	hdrtext_add(out, s + a, end - a);
	hdrtext_add(out, "@", 1);
	hdrtext_add(out, domain, strlen(domain));
	hdrtext_add(out, s + end, b - end);
}

static void
list(struct hdrtext_buf *out, const char *s, size_t len, const char *domain)
{
	size_t i = 0, start = 0;
	bool bad = false;

	while (i < len) {
		char c = s[i];

		if (c == '"')
			i = hdrtext_skip_quoted(s, len, i, &bad);
		else if (c == '(')
			i = hdrtext_skip_comment(s, len, i, &bad);
		else if (c == '[')
			i = hdrtext_skip_literal(s, len, i, &bad);
		else if (c == '<')
			i = skip_angle(s, len, i, &bad);
		else
			i++;
		if (bad) {
			hdrtext_add(
			    out, s + start, len - start); /* not understood */
			return;
		}
		if (c != ',' && c != ';' && c != ':')
			continue;
		if (c == ':')
			hdrtext_add(
			    out, s + start, i - 1 - start); /* group name */
		else
			piece(out, s, start, i - 1, domain);
		hdrtext_add(out, &c, 1);
		start = i;
	}
	piece(out, s, start, len, domain);
}

enum ms_status
qualify_list(const char *value, size_t len, const char *domain, char **out,
    size_t *outlen, struct ms_err *err)
{
	struct hdrtext_buf b = { 0 };

	list(&b, value, len, domain);
	hdrtext_add(&b, "", 0);
	if (b.oom) {
		free(b.p);
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	*out = b.p;
	*outlen = b.len;
	return MS_OK;
}

/* Is the field at f (n bytes to the end of the section) one we qualify?
 * Sets *colon to the offset of its ':'. */
static bool
address_field(const char *f, size_t n, size_t *colon)
{
	static const char *names[] = { "From", "Sender", "Reply-To", "To", "Cc",
		"Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc",
		NULL };
	size_t k = 0;

	while (
	    k < n && f[k] != ':' && f[k] != '\n' && f[k] != ' ' && f[k] != '\t')
		k++;
	for (int i = 0; names[i] != NULL; i++) {
		size_t m = strlen(names[i]), j = m;

		if (k != m || strncasecmp(f, names[i], m) != 0)
			continue;
		while (j < n && (f[j] == ' ' || f[j] == '\t'))
			j++;
		if (j < n && f[j] == ':') {
			*colon = j;
			return true;
		}
	}
	return false;
}

enum ms_status
qualify_header(const char *hdr, size_t len, const char *domain, char **out,
    size_t *outlen, struct ms_err *err)
{
	struct hdrtext_buf b = { 0 };
	size_t pos = 0;

	while (pos < len) {
		size_t end = pos, colon;

		do { /* one field with its continuation lines */
			const char *nl = memchr(hdr + end, '\n', len - end);

			end = nl != NULL ? (size_t)(nl - hdr) + 1 : len;
		} while (end < len && (hdr[end] == ' ' || hdr[end] == '\t'));
		if (address_field(hdr + pos, end - pos, &colon)) {
			hdrtext_add(&b, hdr + pos, colon + 1);
			list(&b, hdr + pos + colon + 1, end - pos - colon - 1,
			    domain);
		} else {
			hdrtext_add(&b, hdr + pos, end - pos);
		}
		pos = end;
	}
	hdrtext_add(&b, "", 0);
	if (b.oom) {
		free(b.p);
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	*out = b.p;
	*outlen = b.len;
	return MS_OK;
}
