/*
 * masq.h - masquerading: local senders take the configured domain.
 *
 * API:    masq_sender(), masq_header_from(), masq_is_local_domain().
 * Trust:  input is untrusted (envelope senders, From: header values);
 *         pure functions, bounded by the input length.
 * Errors: MS_TEMP when memory runs out; nothing else fails: text that
 *         cannot be understood is returned unchanged.
 *
 * A sender is local when it has no domain ("www-data") or its domain is
 * "localhost", "localhost.localdomain", the configured hostname or that
 * hostname's first label ("root@web-1" for "web-1.example.com"), compared
 * case-insensitively.  Local senders become local@domain; every other
 * address is left alone.
 */
#ifndef MS_MASQ_H
#define MS_MASQ_H

#include <stdbool.h>

#include "ms.h"

/* True when dom (the part after '@', or NULL for none) is local as
 * described above. */
bool masq_is_local_domain(const char *dom, const char *hostname);

/* Envelope sender: *out is a malloc'd rewritten copy of addr. The null
 * sender ("" or "<>") stays "" (null). With domain NULL or "" the copy is
 * unchanged. MS_OK or MS_TEMP. */
enum ms_status masq_sender(
    const char *addr, const char *domain, const char *hostname, char **out);

/* A From: (or Sender:, Reply-To:) header value, without the field name:
 * each mailbox in it whose address is local gets the domain, keeping
 * display names, comments, quoting, spacing and folding byte for byte:
 *
 *   "root (Cron Daemon)"         -> "root@example.com (Cron Daemon)"
 *   " Cron Daemon <root@web-1>"  -> " Cron Daemon <root@example.com>"
 *
 * Group syntax and unparseable mailboxes are copied unchanged. *out is
 * malloc'd. MS_OK or MS_TEMP. */
enum ms_status masq_header_from(
    const char *value, const char *domain, const char *hostname, char **out);

#endif
