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

static const char stored[] = "ENVELOPE\n\n"
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

	CHECK(msg_source_open(&src, fd, 10, sizeof(stored) - 1, edit, crlf,
	    &err) == MS_OK, "%s: %s", name, err.msg);
	for (size_t i = 0; i < MS_ARRAY_LEN(chunks); i++) {
		size_t len;
		char *got = slurp(&src, chunks[i], &len);

		CHECK(len == strlen(want) && memcmp(got, want, len) == 0,
		    "%s, chunk %zu: got [%s]", name, chunks[i], got);
		CHECK(msg_source_size(&src) == (off_t)strlen(want),
		    "%s: size %lld want %zu", name,
		    (long long)msg_source_size(&src), strlen(want));
		free(got);
	}
	msg_source_close(&src);
	close(fd);
}

/* The message's own SES control headers (issue 14 defect 5). */
static const char ses_stored[] = "ENVELOPE\n\n"
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

	CHECK(msg_source_open(&src, fd, 10, sizeof(ses_stored) - 1, &edit,
	    false, &err) == MS_OK, "%s: %s", name, err.msg);
	got = slurp(&src, 4096, &len);
	CHECK(strcmp(got, want) == 0, "%s: got [%s]", name, got);
	free(got);
	msg_source_close(&src);
	close(fd);
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
	    "\r\nline one\r\n.leading dot\r\nalready crlf\r\nend", "CRLF");
	check_read(&prepend, true,
	    "X-SES-CONFIGURATION-SET: cs\r\nFrom: root (Cron Daemon)\r\n"
	    "To: ops@example.com\r\nSubject: x\r\n\r\nline one\r\n"
	    ".leading dot\r\nalready crlf\r\nend", "prepend");
	check_read(&rewrite, false,
	    "To: ops@example.com\nSubject: x\nFrom: <noreply@example.com>\n"
	    "Reply-To: root (Cron Daemon)\n\nline one\n.leading dot\n"
	    "already crlf\r\nend", "From rewrite");
	check_read(&masq, false,
	    "From: root@example.com (Cron Daemon)\nTo: ops@example.com\n"
	    "Subject: x\n\nline one\n.leading dot\nalready crlf\r\nend",
	    "masquerade");
	check_drop(MSGSRC_DROP_SES_ALL,
	    "From: a@example.com\nX-Sesame: kept\nSubject: s\n\n"
	    "X-SES-CONFIGURATION-SET: body line\n", "drop every X-SES-*");
	check_drop(MSGSRC_DROP_SES_CONFSET,
	    "From: a@example.com\nx-ses-message-tags: a=b,\n c=d\n"
	    "X-SES-SOURCE-ARN : arn\n"
	    "X-SES-CONFIGURATION-SETX: not the same header\n"
	    "X-Sesame: kept\nSubject: s\n\n"
	    "X-SES-CONFIGURATION-SET: body line\n", "drop the configuration set");
	check_drop(MSGSRC_DROP_SES_TAGS,
	    "X-SES-CONFIGURATION-SET: user\nFrom: a@example.com\n"
	    "X-SES-SOURCE-ARN : arn\n"
	    "X-SES-CONFIGURATION-SETX: not the same header\n"
	    "X-Sesame: kept\nSubject: s\n\n"
	    "X-SES-CONFIGURATION-SET: body line\n", "drop the tags (folded)");
	check_drop(0, ses_stored + 10, "drop nothing");
	return tap_done();
}
