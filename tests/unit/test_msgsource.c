/*
 * test_msgsource.c - what relays read: LF kept for Maildir, CRLF for the
 *                    wire (never doubled), header edits, exact sizes, any
 *                    buffer size.
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "msgsource.h"
#include "tap.h"

static int
temp_with(const char *text, size_t len)
{
	char path[] = "/tmp/test_msgsrc_XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0) {
		unlink(path);
		if (write(fd, text, len) != (ssize_t)len) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* Reads everything with a given chunk size. */
static char *
slurp(struct msg_source *src, size_t chunk, size_t *len)
{
	char *out = malloc(1 << 16);
	char buf[4096];
	ssize_t n;

	*len = 0;
	msg_source_rewind(src);
	while ((n = msg_source_read(src, buf, chunk)) > 0) {
		memcpy(out + *len, buf, (size_t)n);
		*len += (size_t)n;
	}
	out[*len] = '\0';
	return out;
}

static const char stored[] =
    "ENVELOPE\n\n"
    "From: root (Cron Daemon)\nTo: ops@example.com\nSubject: x\n\n"
    "line one\n.leading dot\nalready crlf\r\nend";

static void
check_read(const struct header_edit *edit, bool crlf, const char *want,
    const char *name)
{
	int fd = temp_with(stored, sizeof(stored) - 1);
	struct msg_source src;
	struct ms_err err;
	static const size_t chunks[] = { 1, 2, 3, 7, 4096 };

	/* From the file, then from its image in memory (the claim's read:
	 * no descriptor at all, so any read of one would fail). */
	for (int from_image = 0; from_image < 2; from_image++) {
		CHECK(msg_source_open(&src, from_image ? -1 : fd,
			  from_image ? stored : NULL, 10, sizeof(stored) - 1,
			  edit, crlf, &err) == MS_OK,
		    "%s: %s", name, err.msg);
		for (size_t i = 0; i < MS_ARRAY_LEN(chunks); i++) {
			size_t len;
			char *got = slurp(&src, chunks[i], &len);

			CHECK(
			    len == strlen(want) && memcmp(got, want, len) == 0,
			    "%s%s, chunk %zu: got [%s]", name,
			    from_image ? " (image)" : "", chunks[i], got);
			CHECK(msg_source_size(&src) == (off_t)strlen(want),
			    "%s: size %lld want %zu", name,
			    (long long)msg_source_size(&src), strlen(want));
			free(got);
		}
		msg_source_close(&src);
	}
	close(fd);
}

/* The message's own SES control headers (issue 14 defect 5). */
static const char ses_stored[] =
    "ENVELOPE\n\n"
    "X-SES-CONFIGURATION-SET: user\n"
    "From: a@example.com\n"
    "x-ses-message-tags: a=b,\n c=d\n"
    "X-SES-SOURCE-ARN : arn\n"
    "X-SES-CONFIGURATION-SETX: not the same header\n"
    "X-Sesame: kept\n"
    "Subject: s\n\n"
    "X-SES-CONFIGURATION-SET: body line\n";

static void
check_drop(unsigned drop, const char *want, const char *name)
{
	int fd = temp_with(ses_stored, sizeof(ses_stored) - 1);
	struct header_edit edit = { .drop_ses = drop };
	struct msg_source src;
	struct ms_err err;
	size_t len;
	char *got;

	CHECK(msg_source_open(&src, fd, NULL, 10, sizeof(ses_stored) - 1, &edit,
		  false, &err) == MS_OK,
	    "%s: %s", name, err.msg);
	got = slurp(&src, 4096, &len);
	CHECK(strcmp(got, want) == 0, "%s: got [%s]", name, got);
	free(got);
	msg_source_close(&src);
	close(fd);
}

/* The wire form by the rule, one byte at a time: an LF not preceded by
 * CR gets one (RFC 5321 2.3.8); nothing else changes. */
static size_t
reference_crlf(const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = in[i];
	}
	return o;
}

/* Reads everything, sizing first (as the SMTP and SES relays do) or not,
 * with a given chunk size, and compares with the reference. */
static bool
same_as_reference(const char *text, size_t len, size_t chunk, bool size_first,
    const char *name)
{
	int fd = temp_with(text, len);
	char *want = malloc(len * 2 + 1), *got = malloc(len * 2 + 4097);
	size_t wlen = reference_crlf(text, len, want), glen = 0;
	struct msg_source src;
	struct ms_err err;
	off_t size = -2;
	ssize_t n;
	bool ok;

	if (fd < 0 || want == NULL || got == NULL ||
	    msg_source_open(&src, fd, NULL, 0, (off_t)len, NULL, true, &err) !=
		MS_OK) {
		CHECK(false, "%s: cannot set up", name);
		return false;
	}
	if (size_first)
		size = msg_source_size(&src);
	for (int pass = 0; pass < 2; pass++) { /* again after a rewind */
		msg_source_rewind(&src);
		glen = 0;
		while ((n = msg_source_read(&src, got + glen, chunk)) > 0)
			glen += (size_t)n;
	}
	if (!size_first)
		size = msg_source_size(&src);
	ok =
	    glen == wlen && memcmp(got, want, wlen) == 0 && size == (off_t)wlen;
	CHECK(ok,
	    "%s (len %zu, chunk %zu, size %s): got %zu bytes, size %lld, "
	    "want %zu",
	    name, len, chunk, size_first ? "first" : "last", glen,
	    (long long)size, wlen);
	msg_source_close(&src);
	close(fd);
	free(want);
	free(got);
	return ok;
}

/* Line ends at every boundary: a CR LF split between two reads, a final
 * line without LF, a lone "." line, bare CRs, messages larger than what
 * msg_source_size keeps in memory (streamed and counted instead). */
static void
check_line_ends(void)
{
	static const char *cases[] = { "a\r\nb", "a\rb\n", "\n\n.\n", ".\n",
		"\r\n.\r\n", "x\n.\ny", "\r", "\n", "", "line\r",
		"a\r\r\n\n\r" };
	static const size_t chunks[] = { 1, 2, 3, 5, 8191, 8192, 8193, 65536 };
	size_t big = 600 * 1024;
	char *text = malloc(big);
	unsigned seed = 18;
	int bad = 0;

	for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++)
		for (size_t c = 0; c < MS_ARRAY_LEN(chunks); c++)
			for (int f = 0; f < 2; f++)
				bad += !same_as_reference(cases[i],
				    strlen(cases[i]), chunks[c], f, cases[i]);
	/* A CR at the last byte of one 8192-byte read, its LF first in the
	 * next; and the same with the CR before an unconverted run. */
	memset(text, 'x', 20000);
	for (size_t at = 8190; at < 8194; at++) {
		text[at] = '\r';
		text[at + 1] = '\n';
		for (int f = 0; f < 2; f++)
			bad += !same_as_reference(
			    text, 20000, 4096 * 3, f, "CR LF across reads");
		text[at] = text[at + 1] = 'x';
	}
	/* Random text of CR, LF, '.' and letters, small and large. */
	for (int round = 0; round < 24; round++) {
		size_t len = round % 3 == 0 ? big - (size_t)round
					    : (size_t)(rand_r(&seed) % 3000);

		for (size_t i = 0; i < len; i++)
			text[i] = "\r\n.ab\n"[rand_r(&seed) % 6];
		bad += !same_as_reference(text, len,
		    1 + (size_t)(rand_r(&seed) % 9000), round % 2, "random");
		bad += !same_as_reference(
		    text, len, 1, round % 2 == 0, "random, byte by byte");
	}
	CHECK(bad == 0, "line ends: %d cases differ from the reference", bad);
	free(text);
}

int
main(void)
{
	struct header_edit prepend = { .prepend = "X-SES-CONFIGURATION-SET: "
						  "cs\n" };
	struct header_edit rewrite = { .from = "<noreply@example.com>",
		.keep_reply_to = true };
	struct header_edit masq = { .masq_domain = "example.com",
		.masq_host = "web-1" };

	check_read(NULL, false, stored + 10, "plain LF");
	check_read(NULL, true,
	    "From: root (Cron Daemon)\r\nTo: ops@example.com\r\nSubject: x\r\n"
	    "\r\nline one\r\n.leading dot\r\nalready crlf\r\nend",
	    "CRLF");
	check_read(&prepend, true,
	    "X-SES-CONFIGURATION-SET: cs\r\nFrom: root (Cron Daemon)\r\n"
	    "To: ops@example.com\r\nSubject: x\r\n\r\nline one\r\n"
	    ".leading dot\r\nalready crlf\r\nend",
	    "prepend");
	check_read(&rewrite, false,
	    "To: ops@example.com\nSubject: x\nFrom: <noreply@example.com>\n"
	    "Reply-To: root (Cron Daemon)\n\nline one\n.leading dot\n"
	    "already crlf\r\nend",
	    "From rewrite");
	check_read(&masq, false,
	    "From: root@example.com (Cron Daemon)\nTo: ops@example.com\n"
	    "Subject: x\n\nline one\n.leading dot\nalready crlf\r\nend",
	    "masquerade");
	check_drop(MSGSRC_DROP_SES_ALL,
	    "From: a@example.com\nX-Sesame: kept\nSubject: s\n\n"
	    "X-SES-CONFIGURATION-SET: body line\n",
	    "drop every X-SES-*");
	check_drop(MSGSRC_DROP_SES_CONFSET,
	    "From: a@example.com\nx-ses-message-tags: a=b,\n c=d\n"
	    "X-SES-SOURCE-ARN : arn\n"
	    "X-SES-CONFIGURATION-SETX: not the same header\n"
	    "X-Sesame: kept\nSubject: s\n\n"
	    "X-SES-CONFIGURATION-SET: body line\n",
	    "drop the configuration set");
	check_drop(MSGSRC_DROP_SES_TAGS,
	    "X-SES-CONFIGURATION-SET: user\nFrom: a@example.com\n"
	    "X-SES-SOURCE-ARN : arn\n"
	    "X-SES-CONFIGURATION-SETX: not the same header\n"
	    "X-Sesame: kept\nSubject: s\n\n"
	    "X-SES-CONFIGURATION-SET: body line\n",
	    "drop the tags (folded)");
	check_drop(0, ses_stored + 10, "drop nothing");
	check_line_ends();
	return tap_done();
}
