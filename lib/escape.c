/*
 * escape.c - untrusted text made safe for a terminal or a log line.
 *
 * API:    ms_escape() (see escape.h).
 * Trust:  reads inlen bytes of anything; writes at most outlen bytes.
 * Errors: none; a short buffer gives a shortened text ending in "...".
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "escape.h"

/* Length of the well-formed UTF-8 sequence at p (at most n bytes), 0 if
 * it is not one; *cp gets the code point. */
static size_t
utf8_len(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2, c = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3, c = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4, c = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters that change what a line looks like: C1 controls, line and
 * paragraph separators, bidirectional controls. */
static bool
cp_unsafe(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e ||
	    c == 0x200f || c == 0x2028 || c == 0x2029 ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

char *
ms_escape(char *out, size_t outlen, const char *in, size_t inlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0, i = 0;

	if (outlen == 0)
		return out;
	while (i < inlen) {
		char piece[16];
		size_t plen = 0, adv = 1;
		uint32_t cp = 0;
		size_t ulen;

		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			piece[plen++] = (char)p[i];
		} else if (p[i] == '\\' || p[i] == '\t' || p[i] == '\n' ||
		    p[i] == '\r') {
			piece[plen++] = '\\';
			piece[plen++] = p[i] == '\\' ? '\\'
			    : p[i] == '\t'	     ? 't'
			    : p[i] == '\n'	     ? 'n'
						     : 'r';
		} else if (p[i] >= 0x80 &&
		    (ulen = utf8_len(p + i, inlen - i, &cp)) > 0 &&
		    !cp_unsafe(cp)) {
			memcpy(piece, p + i, ulen);
			plen = ulen;
			adv = ulen;
		} else {
			/* one byte at a time, so every byte shows */
			piece[plen++] = '\\';
			piece[plen++] = 'x';
			piece[plen++] = hex[p[i] >> 4];
			piece[plen++] = hex[p[i] & 15];
		}
		if (n + plen + 1 > outlen ||
		    (i + adv < inlen && n + plen + 4 > outlen)) {
			/* no room for this and a possible "...": stop */
			size_t k = n + 4 <= outlen ? 3 : outlen - 1 - n;

			memcpy(out + n, "...", k);
			n += k;
			break;
		}
		memcpy(out + n, piece, plen);
		n += plen;
		i += adv;
	}
	out[n] = '\0';
	return out;
}
