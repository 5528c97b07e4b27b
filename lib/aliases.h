/*
 * aliases.h - the /etc/aliases table: parsing, validation and expansion of
 *             local recipients.
 *
 * API:    aliases_load(), aliases_load_report(), aliases_parse_buf(),
 *         aliases_resolve(), aliases_resolve_host(), aliases_check(),
 *         aliases_count(), aliases_free().
 * Trust:  the file is root's, but is parsed as untrusted text: every line,
 *         name, target and expansion is bounded.
 * Errors: see each function.  A broken line never stops the good ones:
 *         loading reports each problem through a callback (or the log)
 *         and returns a table of what could be used.
 *
 * Format (sendmail's, as Postfix's postalias(1) reads it):
 *
 *   # comment                    lines whose first non-blank is '#'
 *   root:      ops@example.com   name, colon, comma-separated targets
 *   ops:       alice, bob@example.com,
 *              carol@example.net a line starting with white space
 *                                continues the one before
 *   "two words": x@example.com   quoted names
 *   www-data:  root              targets may be other aliases (nested)
 *   postmaster: \postmaster, x   "\name" (and a self-reference) means the
 *                                name's own mailbox: no further expansion
 *
 * Names are local names, compared case-insensitively.  A name defined
 * twice keeps its first definition (as postalias does) with a warning.
 * Targets "|command", "/file" and ":include:/file" are refused with a
 * warning and dropped: mailshim delivers nothing on the local host.  An
 * alias left with no usable target is dropped too, so mail to it is
 * treated as if the line were not there.
 *
 * Aliases are read at flush time, not compiled into a database: editing
 * the file changes where already queued mail goes.
 */
#ifndef MS_ALIASES_H
#define MS_ALIASES_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "ms.h"

#define ALIASES_MAX_FILE   (16L * 1024 * 1024) /* bytes in the file */
#define ALIASES_MAX_LINE   65536 /* one logical line, continuations included */
#define ALIASES_MAX_DEPTH  16	 /* nested aliases in one expansion */
#define ALIASES_MAX_RESULT 10000 /* addresses one expansion may produce */

struct aliases;

/* One problem found while loading: file and 1-based line; error is true
 * for errors (the line or target was dropped; newaliases fails) and false
 * for warnings (refused pipe/file target, duplicate name). msg has no
 * "FILE:LINE:" prefix and no newline. */
typedef void (*aliases_problem_cb)(
    const char *file, int line, bool error, const char *msg, void *arg);

/* Parses buf[0..len) (file names the source in problem reports). Every
 * problem goes to pcb (may be NULL); the lines that are good make up the
 * table in *out. MS_OK even with problems; MS_TEMP when memory runs out;
 * MS_CONFIG when the text is larger than ALIASES_MAX_FILE. */
enum ms_status
aliases_parse_buf(struct aliases **out, const char *buf, size_t len,
    const char *file, aliases_problem_cb pcb, void *parg, struct ms_err *err);

/* Reads path and parses it as aliases_parse_buf() does. A missing file
 * (ENOENT) is an empty table and MS_OK. Any other read failure is
 * MS_CONFIG ("cannot read FILE: reason") and *out is NULL: a flusher must
 * then defer mail with local recipients rather than guess. */
enum ms_status aliases_load_report(struct aliases **out, const char *path,
    aliases_problem_cb pcb, void *parg, struct ms_err *err);

/* aliases_load_report() that logs each problem as one LOG_WARNING line
 * "FILE:LINE: problem" (the flusher's choice: good lines are used). */
enum ms_status
aliases_load(struct aliases **out, const char *path, struct ms_err *err);

/* Expands one envelope recipient and calls cb once per final address
 * (de-duplicated, in first-seen order).
 *
 * addr is local when it has no '@' or its domain is "localhost",
 * "localhost.localdomain", hostname or hostname's first label (all
 * compared case-insensitively); such a name is looked up in the table
 * and, when it has no alias, becomes catchall if catchall is set, else
 * name@domain.  addr@domain (the configured domain) is looked up too but
 * passes through unchanged when it has no alias: it is a real address.
 * Addresses in any other domain pass through unchanged.  Targets are
 * treated the same way, recursively.
 *
 * a may be NULL (no table).  domain may be NULL (bare names then stay
 * bare).  A bare catchall is qualified with domain.
 *
 * MS_CONFIG "alias loop: a -> b -> a" for a loop, or when the nesting is
 * deeper than ALIASES_MAX_DEPTH or the result larger than
 * ALIASES_MAX_RESULT; MS_DATA for an empty addr; MS_TEMP when memory runs
 * out; any other status is cb's, passed through. */
enum ms_status aliases_resolve_host(const struct aliases *a, const char *addr,
    const char *domain, const char *hostname, const char *catchall, addr_cb cb,
    void *arg, struct ms_err *err);

/* aliases_resolve_host() with the host name from gethostname(). */
enum ms_status
aliases_resolve(const struct aliases *a, const char *addr, const char *domain,
    const char *catchall, addr_cb cb, void *arg, struct ms_err *err);

/* Expands every alias of the table (as aliases_resolve_host() would) and
 * reports each one that fails (loops, too deep) through pcb as an error
 * at the alias's line. Returns the number of failing aliases. */
int
aliases_check(const struct aliases *a, const char *domain, const char *hostname,
    const char *catchall, aliases_problem_cb pcb, void *parg);

/* Number of aliases in the table (0 for NULL). */
size_t aliases_count(const struct aliases *a);

void aliases_free(struct aliases *a);

#endif
