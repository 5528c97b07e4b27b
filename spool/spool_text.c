/*
 * spool_text.c - the "key value" line text of spool files, shared by the
 *                envelope (envelope.c) and the state (state_text.c).
 *
 * API:    tbuf_*(), text_addr_decode(), text_next_line(),
 *         text_line_max(), text_key_is(), text_parse_ll(),
 *         text_value_dup() (spool_text.h).
 * Trust:  readers take untrusted bytes: lines are bounded, numbers fill
 *         their value, values with NUL or CR are refused, and an address
 *         decodes only if the writer could have written it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "spool_text.h"

void
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

void
tbuf_line(struct tbuf *b, const char *key, const char *value)
{
	tbuf_add(b, key, strlen(key));
	tbuf_add(b, " ", 1);
	tbuf_add(b, value, strlen(value));
	tbuf_add(b, "\n", 1);
}

enum ms_status
tbuf_take(struct tbuf *b, const char *what, char **out, size_t *len,
    struct ms_err *err)
{
	if (b->failed) {
		free(b->p);
		return ms_err_set(
		    err, MS_TEMP, "%s too large or out of memory", what);
	}
	*out = b->p;
	*len = b->len;
	return MS_OK;
}

/* Bytes written as %HH in an address: controls, space, DEL, '%' and
 * 8-bit bytes, so the encoded form is one word of printable ASCII. */
static bool
must_encode(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '%';
}

void
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

char *
text_addr_decode(const char *v, size_t n)
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

size_t
text_next_line(const char *buf, size_t len, size_t pos, size_t max,
    const char **key, size_t *klen, const char **val, size_t *vlen)
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
size_t
text_line_max(int version)
{
	return version >= 2 ? ENV_MAX_LINE : ENV_MAX_LINE_V1;
}

bool
text_key_is(const char *key, size_t klen, const char *want)
{
	return klen == strlen(want) && memcmp(key, want, klen) == 0;
}

bool
text_parse_ll(const char *v, size_t n, long long *out)
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

char *
text_value_dup(const char *v, size_t n)
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
