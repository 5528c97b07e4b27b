/*
 * bench/curlsend.c - libcurl alone: the flush ceiling of any client built
 *                    on libcurl's SMTP, for bench/run.
 *
 * Usage:  curlsend URL N CONNS [multi]
 *             CONNS processes (the flusher's workers are processes),
 *             each with one easy handle and one connection, send N
 *             messages in all to URL (smtp://127.0.0.1:PORT): MAIL, RCPT,
 *             DATA, a 2 KB body from memory, the final dot. No spool, no
 *             logging, no state. Prints the messages per second of the
 *             whole (first fork to last exit).
 *             With "multi": one process drives the CONNS connections
 *             through libcurl's multi interface instead, the same
 *             messages. Not how the flusher works: what libcurl reaches
 *             when one process owns every connection.
 *
 * Why: issue 18 measures the flusher against smtp-source, whose
 * transaction is hand-written. What libcurl itself reaches over the same
 * loopback in the same run tells how much of the gap is ours and how much
 * is the client library (design.md: libcurl is our SMTP client).
 *
 * Built by bench/run with cc -lcurl into its temp dir; not part of `make`.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define BODY_SIZE 2048

static char body[BODY_SIZE];

struct reader {
	size_t off;
};

static size_t
read_body(char *buf, size_t size, size_t nitems, void *arg)
{
	struct reader *r = arg;
	size_t n = size * nitems, left = sizeof(body) - r->off;

	if (n > left)
		n = left;
	memcpy(buf, body + r->off, n);
	r->off += n;
	return n;
}

/* Headers, then lines of 76 characters: what smtp-source -l 2048 sends
 * in size, as text a server takes without complaint. */
static void
make_body(void)
{
	static const char head[] = "From: <bench@example.com>\r\n"
				   "To: <sink@example.net>\r\n"
				   "Subject: curlsend\r\n\r\n";

	memset(body, 'x', sizeof(body));
	memcpy(body, head, sizeof(head) - 1);
	for (size_t i = sizeof(head) - 1 + 76; i + 1 < sizeof(body); i += 78) {
		body[i] = '\r';
		body[i + 1] = '\n';
	}
	body[sizeof(body) - 2] = '\r';
	body[sizeof(body) - 1] = '\n';
}

static int
send_all(const char *url, long n)
{
	struct curl_slist *rcpt = curl_slist_append(NULL, "<sink@example.net>");
	CURL *h = curl_easy_init();
	struct reader r;

	if (h == NULL || rcpt == NULL)
		return 1;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, "<bench@example.com>");
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sizeof(body));
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
	curl_easy_setopt(h, CURLOPT_READDATA, &r);
	for (long i = 0; i < n; i++) {
		CURLcode rc;

		r.off = 0;
		rc = curl_easy_perform(h);
		if (rc != CURLE_OK) {
			fprintf(stderr, "curlsend: message %ld: %s\n", i,
			    curl_easy_strerror(rc));
			return 1;
		}
	}
	curl_easy_cleanup(h); /* QUIT, as the flusher does */
	curl_slist_free_all(rcpt);
	return 0;
}

struct sender {
	CURL *h;
	struct reader r;
	long left; /* messages still to send on this connection */
};

/* One easy handle per connection, all in one multi handle: when a
 * transfer ends, its handle is added again for its next message and
 * keeps its connection. */
static int
send_multi(const char *url, long n, long conns)
{
	struct curl_slist *rcpt = curl_slist_append(NULL, "<sink@example.net>");
	struct sender *s = calloc((size_t)conns, sizeof(*s));
	CURLM *m = curl_multi_init();
	int running = 1, failed = 0;

	if (rcpt == NULL || s == NULL || m == NULL)
		return 1;
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, conns);
	for (long c = 0; c < conns; c++) {
		s[c].left = n * (c + 1) / conns - n * c / conns;
		if ((s[c].h = curl_easy_init()) == NULL)
			return 1;
		curl_easy_setopt(s[c].h, CURLOPT_URL, url);
		curl_easy_setopt(s[c].h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(
		    s[c].h, CURLOPT_MAIL_FROM, "<bench@example.com>");
		curl_easy_setopt(s[c].h, CURLOPT_MAIL_RCPT, rcpt);
		curl_easy_setopt(s[c].h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(
		    s[c].h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sizeof(body));
		curl_easy_setopt(s[c].h, CURLOPT_READFUNCTION, read_body);
		curl_easy_setopt(s[c].h, CURLOPT_READDATA, &s[c].r);
		curl_easy_setopt(s[c].h, CURLOPT_PRIVATE, &s[c]);
		if (s[c].left > 0)
			curl_multi_add_handle(m, s[c].h);
	}
	while (running > 0 && !failed) {
		CURLMsg *msg;
		int queued;

		if (curl_multi_perform(m, &running) != CURLM_OK)
			return 1;
		while ((msg = curl_multi_info_read(m, &queued)) != NULL) {
			struct sender *done;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(
			    msg->easy_handle, CURLINFO_PRIVATE, (char **)&done);
			if (msg->data.result != CURLE_OK) {
				fprintf(stderr, "curlsend: %s\n",
				    curl_easy_strerror(msg->data.result));
				failed = 1;
				break;
			}
			curl_multi_remove_handle(m, done->h);
			if (--done->left > 0) {
				done->r.off = 0;
				curl_multi_add_handle(m, done->h);
				running++;
			}
		}
		if (running > 0 &&
		    curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			return 1;
	}
	for (long c = 0; c < conns; c++) {
		curl_multi_remove_handle(m, s[c].h);
		curl_easy_cleanup(s[c].h);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(rcpt);
	free(s);
	return failed;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	long n, conns, failed = 0;
	double t0;

	if ((argc != 4 && !(argc == 5 && strcmp(argv[4], "multi") == 0)) ||
	    (n = strtol(argv[2], NULL, 10)) <= 0 ||
	    (conns = strtol(argv[3], NULL, 10)) <= 0 || conns > 64) {
		fprintf(stderr, "usage: curlsend URL N CONNS [multi]\n");
		return 2;
	}
	make_body();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	t0 = now_s();
	if (argc == 5) {
		if (send_multi(argv[1], n, conns) != 0)
			return 1;
		printf("%.1f\n", (double)n / (now_s() - t0));
		return 0;
	}
	for (long c = 0; c < conns; c++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(send_all(
			    argv[1], n * (c + 1) / conns - n * c / conns));
		if (pid < 0)
			failed++;
	}
	for (int status; wait(&status) > 0;)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	if (failed > 0) {
		fprintf(stderr, "curlsend: %ld of %ld senders failed\n", failed,
		    conns);
		return 1;
	}
	printf("%.1f\n", (double)n / (now_s() - t0));
	return 0;
}
