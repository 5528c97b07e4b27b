/*
 * qualify.h - bare local addresses in the header take the configured
 *             domain (Postfix's append_at_myorigin for local mail):
 *             "To: root" -> "To: root@example.com".
 *
 * API:    qualify_header(), qualify_list().
 * Input:  a header section in memory, every line ending in LF (or one
 *         field value). Pure functions, no I/O.
 */
#ifndef SM_QUALIFY_H
#define SM_QUALIFY_H

#include <stddef.h>

#include "ms.h"

/* Copies the header section hdr[0..len) to *out (malloc'd, *outlen
 * bytes) with "@domain" added after every address that has no domain in
 * From, Sender, Reply-To, To, Cc, Resent-From, Resent-Sender, Resent-To
 * and Resent-Cc. Every other byte stays as it was: display names,
 * comments, quoting, groups, folding, other fields and addresses that
 * already have a domain. Text that is not a valid address (a display
 * name without an address, an unterminated quote) is left alone.
 * MS_TEMP when memory runs out. */
enum ms_status qualify_header(const char *hdr, size_t len, const char *domain,
    char **out, size_t *outlen, struct ms_err *err);

/* The same for one address-list value (the text after "To:"). */
enum ms_status qualify_list(const char *value, size_t len, const char *domain,
    char **out, size_t *outlen, struct ms_err *err);

#endif
