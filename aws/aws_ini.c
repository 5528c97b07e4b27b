/*
 * aws_ini.c - the one INI scanner of aws/: "key = value" lines under
 *             "[section]" headers, '#' and ';' comment lines, white space
 *             trimmed. Explicit key files (aws_ini_lookup) and the shared
 *             credentials and config files (aws_profile.c, which decides
 *             what a section header means) both read through it.
 *
 * API:    aws_ini_find(), aws_ini_trim() (aws_provider.h);
 *         aws_ini_lookup() (aws_creds.h).
 * Trust:  the text is a small local file; lines are bounded by its size,
 *         values by the caller's buffer.
 * Errors: none; 1 found, 0 not found, -1 value too long.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "aws_provider.h"

void
aws_ini_trim(const char **b, const char **e)
{
	while (*b < *e && isspace((unsigned char)**b))
		(*b)++;
	while (*e > *b && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/* Copies the value of line [b, e) into out when its key is key. */
static int
key_value(const char *b, const char *e, const char *key, bool key_nocase,
    char *out, size_t outlen)
{
	const char *eq = memchr(b, '=', (size_t)(e - b));
	const char *kb = b, *ke = eq, *vb, *ve = e;

	if (eq == NULL)
		return 0;
	vb = eq + 1;
	aws_ini_trim(&kb, &ke);
	aws_ini_trim(&vb, &ve);
	if ((size_t)(ke - kb) != strlen(key) ||
	    (key_nocase ? strncasecmp(kb, key, (size_t)(ke - kb))
			: memcmp(kb, key, (size_t)(ke - kb))) != 0)
		return 0;
	if ((size_t)(ve - vb) + 1 > outlen)
		return -1;
	memcpy(out, vb, (size_t)(ve - vb));
	out[ve - vb] = '\0';
	return 1;
}

int
aws_ini_find(const char *text, size_t len, const struct aws_ini_query *q,
    char *out, size_t outlen)
{
	const char *p = text, *end = text + len;
	bool in = q->before_sections;

	if (text == NULL)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *b = p, *e = nl ? nl : end;
		int r;

		p = nl ? nl + 1 : end;
		aws_ini_trim(&b, &e);
		if (b == e || *b == '#' || *b == ';')
			continue;
		if (*b == '[') {
			const char *sb = b + 1, *se = e - 1;

			in = false;
			if (e[-1] != ']' || se < sb)
				continue;
			aws_ini_trim(&sb, &se);
			in = q->section_is(sb, se, q->arg);
			if (in && q->key == NULL)
				return 1;
			continue;
		}
		if (in && q->key != NULL &&
		    (r = key_value(b, e, q->key, q->key_nocase, out, outlen)) !=
			0)
			return r;
	}
	return 0;
}

/* A section header naming exactly the section in arg (NULL: none). */
static bool
named(const char *b, const char *e, void *arg)
{
	const char *section = arg;

	return section != NULL && (size_t)(e - b) == strlen(section) &&
	    memcmp(b, section, (size_t)(e - b)) == 0;
}

int
aws_ini_lookup(const char *text, size_t len, const char *section,
    const char *key, char *out, size_t outlen)
{
	struct aws_ini_query q = {
		.section_is = named,
		.arg = (void *)(uintptr_t)section,
		.before_sections = section == NULL,
		.key = key,
	};

	return aws_ini_find(text, len, &q, out, outlen);
}
