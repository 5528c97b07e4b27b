/*
 * smtp_callbacks.c - what libcurl calls back during an SMTP transfer:
 *                    its protocol trace (fed to the transcript, TLS
 *                    alerts and client certificate requests noted), new
 *                    sockets (a new connection), the message body, and
 *                    the progress calls that enforce max_time and cut
 *                    the wait for QUIT's reply short.
 *
 * API:    smtp_callbacks_install(), smtp_log_line() (smtp_priv.h).
 * Trust:  the trace is untrusted network input: it goes through the
 *         transcript (smtp_reply.c), which drops AUTH lines, and what is
 *         logged or kept of libcurl's text is quoted (ms_quote).
 * Errors: a body that cannot be read aborts the transfer (read_failed,
 *         read_errno); so do MAIL sent without AUTH although a username
 *         is configured (auth_missing), a missed deadline (max_time_hit)
 *         and QUIT's reply taking longer than QUIT_WAIT_MS.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include <curl/curl.h>

#include "log.h"
#include "smtp_priv.h"

#define QUIT_WAIT_MS 1000

void
smtp_log_line(char dir, const char *line, void *arg)
{
	struct smtp_session *s = arg;

	if (log_get_verbose() > 0)
		log_verbose("%s: %c %s", s->name, dir, line);
}

static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct smtp_session *s = arg;

	(void)h;
	if (type == CURLINFO_HEADER_IN || type == CURLINFO_HEADER_OUT) {
		smtp_transcript_feed(
		    &s->tr, type == CURLINFO_HEADER_IN, data, size);
		/* libcurl sends QUIT on a connection it closes after an
		 * error and waits for the reply as long as for any other:
		 * a hung server would cost a second full timeout. */
		if (type == CURLINFO_HEADER_OUT && size >= 4 &&
		    strncmp(data, "QUIT", 4) == 0)
			s->quit_deadline_ms = ms_monotonic_ms() + QUIT_WAIT_MS;
		if (type == CURLINFO_HEADER_OUT &&
		    s->tr.pending == SMTP_STAGE_MAIL && s->username != NULL &&
		    !s->tr.auth_sent)
			s->auth_missing = true;
	} else if (type == CURLINFO_TEXT) {
		char q[256];
		const char *a;

		/* libcurl's TLS trace: "TLSv1.3 (IN), TLS handshake,
		 * Request CERT (13):", "TLSv1.3 (IN), TLS alert, unknown CA
		 * (560):". */
		if (size > 0 && memmem(data, size, "Request CERT", 12) != NULL)
			s->cert_requested = true;
		if (size > 0 && memmem(data, size, "(IN), TLS alert", 15) &&
		    (a = memmem(data, size, "alert, ", 7)) != NULL)
			ms_quote(s->tls_alert, sizeof(s->tls_alert), a + 7,
			    (size_t)(data + size - (a + 7)) -
				(data[size - 1] == '\n' ? 1 : 0));
		if (log_get_verbose() <= 1)
			return 0;

		ms_quote(q, sizeof(q), data,
		    size > 0 && data[size - 1] == '\n' ? size - 1 : size);
		log_verbose("%s: * %s", s->name, q);
	}
	return 0;
}

/* Called by libcurl at least once a second while it waits (blocking
 * pingpong waits included, which CURLOPT_TIMEOUT does not cover after
 * the body is sent). Non-zero aborts the transfer. */
static int
progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct smtp_session *s = arg;
	long long now = ms_monotonic_ms();

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (s->quit_deadline_ms != 0 && now > s->quit_deadline_ms)
		return 1;
	if (s->deadline_ms != 0 && now > s->deadline_ms) {
		s->max_time_hit = true;
		return 1;
	}
	/* libcurl calls this after it has sent a command and before it
	 * waits for the reply (and while it connects): the flusher's file
	 * work for other messages fits into that wait (relay_msg.idle),
	 * once per command. Never after 354: the body is not held up. */
	if (s->idle != NULL && s->tr.awaiting &&
	    s->idle_cmd != s->tr.commands) {
		s->idle_cmd = s->tr.commands;
		if (!s->idle(s->idle_arg)) {
			s->idle_stopped = true;
			return 1;
		}
	}
	return 0;
}

static int
sockopt_cb(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	struct smtp_session *s = arg;

	(void)fd;
	if (purpose == CURLSOCKTYPE_IPCXN) {
		smtp_transcript_reset_connection(&s->tr);
		s->cert_requested = false;
		s->tls_alert[0] = '\0';
	}
	return CURL_SOCKOPT_OK;
}

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct smtp_session *s = arg;
	ssize_t n;

	if (s->auth_missing || s->src == NULL)
		return CURL_READFUNC_ABORT;
	n = msg_source_read(s->src, buf, size * nitems);
	if (n < 0) {
		s->read_failed = true;
		s->read_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	if (n == 0)
		s->body_eof = true;
	s->body_sent += n;
	return (size_t)n;
}

static size_t
discard_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	(void)buf;
	(void)arg;
	return size * nitems;
}

bool
smtp_callbacks_install(struct smtp_session *s)
{
	SMTP_SETOPT(CURLOPT_VERBOSE, 1L);
	SMTP_SETOPT(CURLOPT_DEBUGFUNCTION, debug_cb);
	SMTP_SETOPT(CURLOPT_DEBUGDATA, s);
	SMTP_SETOPT(CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	SMTP_SETOPT(CURLOPT_SOCKOPTDATA, s);
	SMTP_SETOPT(CURLOPT_READFUNCTION, read_cb);
	SMTP_SETOPT(CURLOPT_READDATA, s);
	SMTP_SETOPT(CURLOPT_WRITEFUNCTION, discard_cb);
	SMTP_SETOPT(CURLOPT_WRITEDATA, s);
	SMTP_SETOPT(CURLOPT_NOPROGRESS, 0L);
	SMTP_SETOPT(CURLOPT_XFERINFOFUNCTION, progress_cb);
	SMTP_SETOPT(CURLOPT_XFERINFODATA, s);
	return true;
fail:
	return false;
}
