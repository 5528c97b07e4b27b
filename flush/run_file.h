/*
 * run_file.h - the small files the flusher's processes share in the
 *              spool's run/ directory (run/rate-RELAY, run/hold-RELAY):
 *              their names, the lock on run/ and whole-file reads and
 *              replacements. For flush/ratelimit*.c only.
 *
 * API:    run_file_name(), run_file_lock(), run_file_read(),
 *         run_file_write().
 * Trust:  run/ is the flusher's own 0700 directory; files are opened
 *         without following symlinks, and replaced, never edited.
 * Errors: MS_TEMP with the path and cause (MS_CONFIG for a relay name
 *         that cannot make a file name).
 */
#ifndef MS_RUN_FILE_H
#define MS_RUN_FILE_H

#include <stddef.h>

#include "ms.h"

/* buf = prefix + relay, with bytes outside [A-Za-z0-9._-] as '_'. */
enum ms_status run_file_name(char *buf, size_t len, const char *prefix,
    const char *relay, struct ms_err *err);

/* flock(op) on run/ itself; *lfd is the descriptor to close to unlock. */
enum ms_status run_file_lock(int runfd, int op, int *lfd, struct ms_err *err);

/* run/NAME into buf, NUL-terminated ("" when it does not exist). */
void run_file_read(int runfd, const char *name, char *buf, size_t len);

/* Replaces run/NAME with text (NAME.tmp, then rename). */
enum ms_status run_file_write(
    int runfd, const char *name, const char *text, struct ms_err *err);

#endif
