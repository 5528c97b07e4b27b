/*
 * headers.c - header-section work for the front end: field lookup, -t
 *             recipients, Bcc removal and the fields added when missing.
 *
 * API:    see headers.h.
 * Trust:  the header text is untrusted; every scan is bounded by len.
 * Errors: MS_DATA from the address parser; MS_SOFTWARE when a fixed
 *         output buffer is too small (a bug, sizes are known).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "headers.h"

bool
hdr_is_field(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && line[i] > ' ' && line[i] < 0x7f && line[i] != ':')
		i++;
	if (i == 0)
		return false;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < len && line[i] == ':';
}

bool
hdr_name_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name), i;

	if (len < n + 1 || strncasecmp(line, name, n) != 0)
		return false;
	i = n;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < len && line[i] == ':';
}

/* Length of the field starting at hdr[pos], continuation lines
 * included (up to and including the last LF). */
static size_t
field_len(const char *hdr, size_t len, size_t pos)
{
	size_t i = pos;

	for (;;) {
		const char *nl = memchr(hdr + i, '\n', len - i);

		i = nl != NULL ? (size_t)(nl - hdr) + 1 : len;
		if (i >= len || (hdr[i] != ' ' && hdr[i] != '\t'))
			return i - pos;
	}
}

void
hdr_inspect(const char *hdr, size_t len, struct hdr_info *info)
{
	memset(info, 0, sizeof(*info));
	for (size_t pos = 0; pos < len; pos += field_len(hdr, len, pos)) {
		const char *f = hdr + pos;
		size_t n = len - pos;

		if (hdr_name_is(f, n, "Date"))
			info->date = true;
		else if (hdr_name_is(f, n, "Message-ID"))
			info->msgid = true;
		else if (hdr_name_is(f, n, "From"))
			info->from = true;
		else if (hdr_name_is(f, n, "Resent-To") ||
		    hdr_name_is(f, n, "Resent-Cc") ||
		    hdr_name_is(f, n, "Resent-Bcc"))
			info->resent_rcpt = true;
	}
}

size_t
hdr_strip_bcc(char *hdr, size_t len)
{
	size_t in = 0, out = 0;

	while (in < len) {
		size_t n = field_len(hdr, len, in);

		if (!hdr_name_is(hdr + in, len - in, "Bcc") &&
		    !hdr_name_is(hdr + in, len - in, "Resent-Bcc")) {
			memmove(hdr + out, hdr + in, n);
			out += n;
		}
		in += n;
	}
	return out;
}

enum ms_status
hdr_recipients(
    const char *hdr, size_t len, addr_cb cb, void *arg, struct ms_err *err)
{
	static const char *plain[] = { "To", "Cc", "Bcc", NULL };
	static const char *resent[] = { "Resent-To", "Resent-Cc", "Resent-Bcc",
		NULL };
	struct hdr_info info;
	const char **names;

	hdr_inspect(hdr, len, &info);
	names = info.resent_rcpt ? resent : plain;
	for (size_t pos = 0; pos < len;) {
		size_t n = field_len(hdr, len, pos);

		for (int k = 0; names[k] != NULL; k++) {
			const char *colon;
			enum ms_status st;

			if (!hdr_name_is(hdr + pos, n, names[k]))
				continue;
			colon = memchr(hdr + pos, ':', n);
			st = addr_list_parse(colon + 1,
			    n - (size_t)(colon + 1 - (hdr + pos)), cb, arg,
			    err);
			if (st != MS_OK)
				return st;
			break;
		}
		pos += n;
	}
	return MS_OK;
}

size_t
hdr_date(time_t t, char *buf, size_t n)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;
	int r;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	off = tm.tm_gmtoff / 60;
	r = snprintf(buf, n, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);
	if (r < 0 || (size_t)r >= n)
		return 0;
	return (size_t)r;
}

/* Appends s to buf[*len..n) keeping printable ASCII only; in a comment
 * '(' ')' '\\' are quoted. False when it does not fit. */
static bool
put_clean(char *buf, size_t n, size_t *len, const char *s, bool comment)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' && !(comment && c == ' '))
			continue;
		if (c >= 0x7f)
			continue;
		if (!comment && (c == '(' || c == ')' || c == ';' || c == '\\'))
			continue;
		if (*len + 2 >= n)
			return false;
		if (comment && (c == '(' || c == ')' || c == '\\'))
			buf[(*len)++] = '\\';
		buf[(*len)++] = (char)c;
	}
	return true;
}

size_t
hdr_received(char *buf, size_t n, const char *host, const char *submitter,
    const char *proto, const char *id, time_t now)
{
	char date[64];
	size_t len = 0;
	int r;

	if (hdr_date(now, date, sizeof(date)) == 0 || n < 16)
		return 0;
	r = snprintf(buf, n, "Received: by ");
	len = (size_t)r;
	if (!put_clean(buf, n, &len, host, false))
		return 0;
	r = snprintf(buf + len, n - len, " (mailshim, ");
	if (r < 0 || (size_t)r >= n - len)
		return 0;
	len += (size_t)r;
	if (!put_clean(buf, n, &len, submitter, true))
		return 0;
	r = snprintf(buf + len, n - len, ")\n\t%s%s%sid %s; %s\n",
	    proto != NULL ? "with " : "", proto != NULL ? proto : "",
	    proto != NULL ? " " : "", id, date);
	if (r < 0 || (size_t)r >= n - len)
		return 0;
	return len + (size_t)r;
}

/* A display name needs quotes when it holds an RFC 5322 special. */
static bool
needs_quotes(const char *s)
{
	return strpbrk(s, "()<>[]:;@\\,.\"") != NULL;
}

/* Appends the From: value's name part: as is, or quoted with '"' and
 * '\\' escaped; control bytes are dropped. */
static size_t
put_name(char *out, size_t outlen, const char *name)
{
	bool q = needs_quotes(name);
	size_t n = 0;

	if (n < outlen && q)
		out[n++] = '"';
	for (; *name != '\0' && n + 4 < outlen; name++) {
		unsigned char c = (unsigned char)*name;

		if (c < 0x20 || c == 0x7f)
			continue;
		if (q && (c == '"' || c == '\\'))
			out[n++] = '\\';
		out[n++] = (char)c;
	}
	if (q && n < outlen)
		out[n++] = '"';
	return n;
}

enum ms_status
hdr_missing(const struct hdr_info *info, const struct hdr_fill *f, char *out,
    size_t outlen, size_t *n, struct ms_err *err)
{
	size_t len = 0;
	int r;

	if (!info->date) {
		char date[64];

		if (hdr_date(f->now, date, sizeof(date)) == 0)
			return ms_err_set(
			    err, MS_SOFTWARE, "cannot format the date");
		r = snprintf(out, outlen, "Date: %s\n", date);
		if (r < 0 || (size_t)r >= outlen)
			goto toolong;
		len += (size_t)r;
	}
	if (!info->msgid) {
		r = snprintf(out + len, outlen - len, "Message-ID: <%s@%s>\n",
		    f->id, f->hostname);
		if (r < 0 || (size_t)r >= outlen - len)
			goto toolong;
		len += (size_t)r;
	}
	if (!info->from) {
		char name[512];
		size_t nl = 0;

		if (f->from_name != NULL && f->from_name[0] != '\0')
			nl = put_name(name, sizeof(name), f->from_name);
		if (nl > 0)
			r = snprintf(out + len, outlen - len,
			    "From: %.*s <%s>\n", (int)nl, name, f->from_addr);
		else
			r = snprintf(out + len, outlen - len, "From: %s\n",
			    f->from_addr);
		if (r < 0 || (size_t)r >= outlen - len)
			goto toolong;
		len += (size_t)r;
	}
	*n = len;
	return MS_OK;
toolong:
	return ms_err_set(err, MS_SOFTWARE, "added header fields too long");
}
