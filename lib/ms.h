/*
 * ms.h - status codes, error reports and small helpers shared by every
 *        mailshim program.
 *
 * API:    enum ms_status, struct ms_err, ms_err_set(), ms_exitcode(),
 *         ms_strdup_opt(), ms_monotonic_ms(), ms_file_name(),
 *         ms_open_run_file(), ms_read_text(),
 *         ms_s3_name_safe(),
 *         ms_status_name().
 * Owns:   lib/: small pieces both programs share - status and errors
 *         (ms.c), logging, configuration, addresses, aliases,
 *         masquerading, durations.
 * Calls:  libconfuse and the C library only; includes nothing from the
 *         other folders (the front end links lib/libms.a).
 * Errors: library code returns an ms_status and writes one human sentence
 *         into the caller's struct ms_err; only main() exits.
 */
#ifndef MS_H
#define MS_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum ms_status {
	MS_OK = 0,    /* done */
	MS_USAGE,     /* 64 bad command line */
	MS_DATA,      /* 65 malformed message or address */
	MS_NOUSER,    /* 67 recipient address unusable */
	MS_PERM,      /* 69 permanent refusal (5xx) */
	MS_SOFTWARE,  /* 70 our bug: an invariant broke */
	MS_OSERR,     /* 71 fork, getpwuid and friends failed */
	MS_CANTCREAT, /* 73 cannot create an output file */
	MS_IOERR,     /* 74 read/write error that retrying will not fix */
	MS_TEMP,      /* 75 try again later: disk full, relay down, 4xx */
	MS_NOPERM,    /* 77 not allowed */
	MS_CONFIG,    /* 78 bad configuration */
};

/* One sentence saying what failed and why; never holds a secret. */
struct ms_err {
	char msg[768];
};

/* Formats into err->msg (truncating safely); returns status for chaining:
 *   return ms_err_set(err, MS_TEMP, "cannot open %s: %s", p, strerror(e)); */
enum ms_status ms_err_set(struct ms_err *err, enum ms_status status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The sysexits.h value for a status (0 for MS_OK). */
int ms_exitcode(enum ms_status status);

/* A short lower-case word for logs: "ok", "temp", "perm", ... */
const char *ms_status_name(enum ms_status status);

/* Copies at most 200 bytes of untrusted text into out (size outlen),
 * replacing control and non-ASCII bytes with '?', for log lines and
 * error messages (Postfix's %.200s habit). Returns out. */
char *ms_quote(char *out, size_t outlen, const char *in, size_t inlen);

/* Copies src into dst[size], cutting it short if need be; always
 * NUL-terminates (size > 0). For replies and reasons, where a shortened
 * text is the intent. */
void ms_copy(char *dst, size_t size, const char *src);

/* A copy of s (NULL stays NULL); sets *oom when memory ran out, so a
 * caller copying several optional strings checks once. */
char *ms_strdup_opt(const char *s, bool *oom);

/* A JSON key as secrets spell it, folded for matching: lower case,
 * without '_' and '-' ("AWS_Access-Key_Id" -> "awsaccesskeyid"); cut
 * short to fit out[size] (size > 0). Returns out. */
char *ms_key_fold(char *out, size_t size, const char *key);

/* Room for element n of an array of elem-byte elements at v (cap of them
 * allocated): v itself while n < *cap, else v grown by doubling *cap
 * (first when it was 0). NULL when memory ran out; v is then unchanged
 * and still the caller's to free. */
void *ms_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first);

/* A directory stream on the directory open as dirfd (its own
 * descriptor: closedir() leaves dirfd open), for readdir. NULL with
 * errno set. */
DIR *ms_opendir_at(int dirfd);

/* Opens dirfd/name, a flusher's bookkeeping file in run/ (O_NOFOLLOW,
 * mode 0600 when created). One that does not exist, opened without
 * O_CREAT, is not an error: MS_OK with *fd = -1. Otherwise MS_TEMP
 * "cannot open run/NAME: why". */
enum ms_status ms_open_run_file(
    int dirfd, const char *name, int flags, int *fd, struct ms_err *err);

/* The start of fd (at most len - 1 bytes from offset 0) into buf as a
 * NUL-terminated text; "" when nothing can be read. Returns the bytes
 * read, or -1 with errno set. */
ssize_t ms_read_text(int fd, char *buf, size_t len);

/* Milliseconds on CLOCK_MONOTONIC: for deadlines and timeouts within
 * one process, immune to the wall clock being set. */
long long ms_monotonic_ms(void);

/* prefix + name + suffix into buf as a file name: every byte of name but
 * letters, digits, '-', '_' and a '.' after the first is made '_', so a
 * configured name (a relay's) never leaves its directory. False when
 * name is empty, over 100 bytes, or the result does not fit. */
bool ms_file_name(char *buf, size_t len, const char *prefix, const char *name,
    const char *suffix);

/* An S3 bucket name or key (prefix) we put into a URL unescaped: only
 * A-Z a-z 0-9 - _ . (and '/' when slash_ok), no "..", no leading '/'.
 * NULL is safe (nothing configured). */
bool ms_s3_name_safe(const char *s, bool slash_ok);

#define MS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
