/*
 * addr.h - e-mail addresses: address-list parsing (header values and
 *          command-line arguments), validation, qualification.
 *
 * API:    addr_list_parse(), addr_is_atext() (addr.c); addr_check(),
 *         addr_valid(), addr_is_local(), addr_qualify(), addr_domain()
 *         (addr_check.c).
 * Trust:  input is untrusted (headers, argv from web applications); the
 *         parser is bounded and never reads past len.
 */
#ifndef MS_ADDR_H
#define MS_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "ms.h"

#define ADDR_MAX	998 /* longest address we accept */
#define ADDR_LOCAL_MAX	64  /* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255 /* RFC 5321 4.5.3.1.2 */
#define ADDR_LABEL_MAX	63  /* RFC 1035 2.3.4 */

/* Called once per address found; addr is the bare addr-spec
 * ("a@example.com", or "root" for a local name), NUL-terminated. A
 * non-MS_OK return stops the parse and is passed through. */
typedef enum ms_status (*addr_cb)(
    const char *addr, void *arg, struct ms_err *err);

/* Parses an RFC 5322 address list: "A <a@x>, b@y (B), \"C, D\" <c@z>",
 * groups ("team: a@x, b@y;"), empty groups ("undisclosed-recipients:;").
 * Folded (multi-line) header values are accepted. MS_DATA naming the
 * offending text when an address cannot be parsed. */
enum ms_status addr_list_parse(
    const char *text, size_t len, addr_cb cb, void *arg, struct ms_err *err);

/* RFC 5322 atext, and every 8-bit byte (UTF-8 is kept as it is). */
bool addr_is_atext(unsigned char c);

/* The one check of a bare address for the envelope, used by the front
 * end at enqueue and by the flusher on every address it reads back from
 * the spool: local@domain or local; no spaces, brackets or a second '@'
 * outside quotes; no control byte anywhere (C0, TAB, DEL, UTF-8 C1, even
 * in a quoted pair); local part <= 64 octets, domain <= 255, each label
 * <= 63; at most ADDR_MAX bytes. Returns NULL when valid, else a short
 * static reason ("local part longer than 64 octets (RFC 5321 ...)"). */
const char *addr_check(const char *addr);

/* addr_check(addr) == NULL. */
bool addr_valid(const char *addr);

/* True when addr has no domain part ("root"). */
bool addr_is_local(const char *addr);

/* "root" -> "root@domain" (malloc'd); a qualified address is copied. */
char *addr_qualify(const char *addr, const char *domain);

/* The part after the last '@', or NULL. */
const char *addr_domain(const char *addr);

#endif
