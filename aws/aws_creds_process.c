/*
 * aws_creds_process.c - a profile's credential_process: run the command
 *                       and read the credentials it prints (the IAM Roles
 *                       Anywhere helper, vault plug-ins, ...).
 *
 * API:    aws_creds_from_process() (aws_provider.h).
 * Rules:  as botocore: the command line is split into words the way
 *         Python's shlex.split() does (POSIX rules: blanks separate,
 *         '...' is literal, "..." allows \" and \\, a backslash outside
 *         quotes takes the next byte) and run WITHOUT a shell, the first
 *         word looked up in PATH. Its standard output must be one JSON
 *         object: {"Version": 1, "AccessKeyId", "SecretAccessKey",
 *         optional "SessionToken" and "Expiration" (ISO 8601)}. A non-zero
 *         exit status is an error. Standard input is /dev/null; standard
 *         error is left to the caller's.
 * Limits: 64 words, 64 KiB of output, 60 seconds (then SIGKILL).
 * Trust:  the command comes from the operator's AWS config file and runs
 *         as the flusher. Its output is wiped after parsing.
 * Errors: MS_CONFIG for a command line that does not split or cannot
 *         be run; MS_TEMP for a failing command or malformed output.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aws_provider.h"

#define PROC_WORDS_MAX	64
#define PROC_OUT_MAX	(64 * 1024)
#define PROC_TIMEOUT_MS 60000

/* shlex.split() in POSIX mode. words[] point into buf (len >= strlen(s)
 * + 1). Returns the count, or -1 (unbalanced quote, too many words). */
static int
split_words(const char *s, char *buf, char **words)
{
	int n = 0;
	char *o = buf;
	bool in_word = false;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			if (in_word) {
				*o++ = '\0';
				in_word = false;
			}
			continue;
		}
		if (!in_word) {
			if (n == PROC_WORDS_MAX)
				return -1;
			words[n++] = o;
			in_word = true;
		}
		if (*s == '\'') {
			for (s++; *s && *s != '\''; s++)
				*o++ = *s;
			if (*s == '\0')
				return -1;
		} else if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				*o++ = *s;
			}
			if (*s == '\0')
				return -1;
		} else if (*s == '\\') {
			if (s[1] == '\0')
				return -1;
			*o++ = *++s;
		} else {
			*o++ = *s;
		}
	}
	if (in_word)
		*o = '\0';
	words[n] = NULL;
	return n;
}

/* Runs words, collecting stdout into out[PROC_OUT_MAX + 1]. */
static enum ms_status
run(char **words, char *out, size_t *outlen, struct ms_err *err)
{
	int pfd[2], status = 0, devnull;
	pid_t pid;
	size_t got = 0;
	long long deadline = ms_monotonic_ms() + PROC_TIMEOUT_MS;
	bool too_big = false, timed_out = false;
	char q[200];

	ms_quote(q, sizeof(q), words[0], strlen(words[0]));
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return ms_err_set(err, MS_TEMP,
		    "aws: credential_process: pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return ms_err_set(err, MS_TEMP,
		    "aws: credential_process: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(pfd[1], 1);
		signal(SIGPIPE, SIG_DFL);
		execvp(words[0], words);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd pf = { pfd[0], POLLIN, 0 };
		long long left = deadline - ms_monotonic_ms();
		ssize_t n;
		int r;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		r = poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		n = read(pfd[0], out + got, PROC_OUT_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == PROC_OUT_MAX) {
			too_big = true;
			break;
		}
	}
	close(pfd[0]);
	if (timed_out || too_big)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out[got] = '\0';
	*outlen = got;
	if (timed_out)
		return ms_err_set(err, MS_TEMP,
		    "aws: credential_process %s did not finish in %d s", q,
		    PROC_TIMEOUT_MS / 1000);
	if (too_big)
		return ms_err_set(err, MS_TEMP,
		    "aws: credential_process %s printed more than %d bytes", q,
		    PROC_OUT_MAX);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return ms_err_set(err, MS_CONFIG,
		    "aws: credential_process %s could not be run", q);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ms_err_set(err, MS_TEMP,
		    "aws: credential_process %s failed (status %d)", q,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return MS_OK;
}

enum ms_status
aws_creds_from_process(
    const char *cmdline, struct aws_creds *out, struct ms_err *err)
{
	char *words[PROC_WORDS_MAX + 1], *buf, *text;
	size_t len = 0;
	enum ms_status st;

	memset(out, 0, sizeof(*out));
	if ((buf = malloc(strlen(cmdline) + 1)) == NULL ||
	    (text = malloc(PROC_OUT_MAX + 1)) == NULL) {
		free(buf);
		return ms_err_set(err, MS_TEMP, "aws: out of memory");
	}
	if (split_words(cmdline, buf, words) < 1)
		st = ms_err_set(err, MS_CONFIG,
		    "aws: credential_process is empty, has an unbalanced "
		    "quote or more than %d words",
		    PROC_WORDS_MAX);
	else if ((st = run(words, text, &len, err)) == MS_OK)
		st = aws_creds_from_json(
		    text, len, AWS_DOC_PROCESS, "credential_process", out, err);
	OPENSSL_cleanse(text, PROC_OUT_MAX + 1);
	free(text);
	free(buf);
	return st;
}
