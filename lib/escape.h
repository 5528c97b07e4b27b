/*
 * escape.h - untrusted text made safe for a terminal or a log line,
 *            whole and reversible by eye (unlike ms_quote, which cuts at
 *            200 bytes and turns every odd byte into '?').
 *
 * API:    ms_escape().
 * Trust:  input is anything a local user or a peer could write: queue
 *         listings and log lines print addresses, senders, replies.
 */
#ifndef MS_ESCAPE_H
#define MS_ESCAPE_H

#include <stddef.h>

/* Worst case: every input byte becomes "\xHH". */
#define MS_ESCAPE_SIZE(n) ((n)*4 + 4)

/* Copies in[0..inlen) into out[outlen], NUL-terminated: printable ASCII
 * and well-formed UTF-8 as they are; backslash as "\\"; TAB, LF, CR as
 * "\t", "\n", "\r"; every other byte of a C0 or C1 control, DEL, an
 * invalid UTF-8 sequence or a character that reorders or breaks a line
 * on a terminal (U+2028, U+2029, bidi controls) as "\xHH". So nothing
 * printed can move the cursor, start an escape sequence or fake a line.
 * When out is too small the text ends with "..." instead. Returns out. */
char *ms_escape(char *out, size_t outlen, const char *in, size_t inlen);

#endif
