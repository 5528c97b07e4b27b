/*
 * addr_check.c - one bare address (an envelope address, or one that
 *                addr_list_parse() found): the envelope's checks, its
 *                local and domain parts, qualification with a domain.
 *
 * API:    addr_check(), addr_valid(), addr_is_local(), addr_qualify(),
 *         addr_domain().  Documented in addr.h.
 * Trust:  input is untrusted: NUL-terminated, any bytes; addr_check()
 *         refuses control bytes before any other check reads on.
 * Errors: addr_check() returns a short static reason; addr_qualify()
 *         NULL when memory runs out.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"

/* Length of a quoted string starting at s[0] == '"', or 0 if unclosed.
 * Control bytes are refused before we get here (addr_check). */
static size_t
quoted_len(const char *s)
{
	size_t i;

	for (i = 1; s[i] != '\0'; i++) {
		if (s[i] == '\\') {
			if (s[i + 1] == '\0')
				return 0;
			i++;
		} else if (s[i] == '"') {
			return i + 1;
		}
	}
	return 0;
}

/* dot-atom: atext runs separated by single dots, none at the ends. */
static bool
dot_atom_ok(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!addr_is_atext((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/* A C0 control (TAB included), DEL, or a C1 control written in UTF-8
 * (U+0080..U+009F): none may appear anywhere in an address, not even in
 * a quoted pair, where RFC 5322 would allow all but NUL, CR and LF. */
static bool
has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	     p++) {
		if (*p < 0x20 || *p == 0x7f)
			return true;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return true;
	}
	return false;
}

/* The domain after '@': a literal, or labels of at most 63 octets. */
static const char *
domain_check(const char *d)
{
	size_t n = strlen(d), label = 0;

	if (n == 0)
		return "no domain after '@'";
	if (n > ADDR_DOMAIN_MAX)
		return "domain longer than 255 octets (RFC 5321 4.5.3.1.2)";
	if (d[0] == '[') {
		if (n < 3 || d[n - 1] != ']')
			return "malformed domain literal";
		for (size_t i = 1; i + 1 < n; i++) {
			unsigned char c = (unsigned char)d[i];

			if (c == ' ' || c == '[' || c == ']' || c == '\\')
				return "malformed domain literal";
		}
		return NULL;
	}
	if (!dot_atom_ok(d, n))
		return "malformed domain";
	for (size_t i = 0; i <= n; i++) {
		if (d[i] == '.' || d[i] == '\0') {
			if (label > ADDR_LABEL_MAX)
				return "domain label longer than 63 octets "
				       "(RFC 5321 4.5.3.1.2, RFC 1035 2.3.4)";
			label = 0;
		} else {
			label++;
		}
	}
	return NULL;
}

const char *
addr_check(const char *addr)
{
	size_t n = strlen(addr), local;

	if (n == 0)
		return "empty address";
	if (n > ADDR_MAX)
		return "longer than 998 octets";
	if (has_control(addr))
		return "control character in address";
	if (addr[0] == '"') {
		local = quoted_len(addr);
		if (local == 0)
			return "unclosed quoted string";
		if (local == 2)
			return "empty quoted local part";
	} else {
		const char *at = strchr(addr, '@');

		local = at != NULL ? (size_t)(at - addr) : n;
		if (!dot_atom_ok(addr, local))
			return "malformed local part";
	}
	if (local > ADDR_LOCAL_MAX)
		return "local part longer than 64 octets (RFC 5321 4.5.3.1.1)";
	if (addr[local] == '\0')
		return NULL;
	if (addr[local] != '@')
		return "malformed local part";
	return domain_check(addr + local + 1);
}

bool
addr_valid(const char *addr)
{
	return addr_check(addr) == NULL;
}

/* The '@' that separates local part and domain, or NULL. */
static const char *
find_at(const char *addr)
{
	size_t skip = 0;

	if (addr[0] == '"') {
		skip = quoted_len(addr);
		if (skip == 0)
			return NULL;
	}
	return strchr(addr + skip, '@');
}

bool
addr_is_local(const char *addr)
{
	return find_at(addr) == NULL;
}

char *
addr_qualify(const char *addr, const char *domain)
{
	size_t a, d;
	char *out;

	if (!addr_is_local(addr) || domain == NULL || domain[0] == '\0')
		return strdup(addr);
	a = strlen(addr);
	d = strlen(domain);
	out = malloc(a + d + 2);
	if (out == NULL)
		return NULL;
	memcpy(out, addr, a);
	out[a] = '@';
	memcpy(out + a + 1, domain, d + 1);
	return out;
}

const char *
addr_domain(const char *addr)
{
	const char *at = find_at(addr);

	if (at == NULL)
		return NULL;
	return strrchr(at, '@') + 1;
}
