/*
 * secret.h - passwords and keys named in the config by where they live
 *            ("file:/etc/mailshim/corp.pass", "env:CORP_PASS"), loaded
 *            only by the flusher, held in one struct, wiped after use.
 *
 * API:    secret_load(), secret_load_in(), secret_forget(), secret_free().
 * Trust:  a secret file must be a regular file owned by the flusher's
 *         uid or root and unreadable by group and others. The secret's
 *         value is never put into an error, a log line or a reply.
 */
#ifndef MS_SECRET_H
#define MS_SECRET_H

#include <stddef.h>

#include "ms.h"

#define SECRET_MAX (64 * 1024) /* larger secret files are refused */

struct secret {
	char *value; /* NUL-terminated; may hold no other NUL */
	size_t len;
};

/* Loads the secret spec names into out (which it initialises first).
 * Returns MS_OK; MS_CONFIG for an unknown source, a missing variable, a
 * file that is missing, not regular, owned by someone else or readable
 * by group/others; MS_TEMP when memory or a read fails. */
enum ms_status
secret_load(const char *spec, struct secret *out, struct ms_err *err);

/* The same; region (a relay's `region`, may be NULL) is used for
 * secretsmanager:/ssm: names that are not ARNs, before AWS_REGION. */
enum ms_status secret_load_in(const char *spec, const char *region,
    struct secret *out, struct ms_err *err);

/* Makes the next secret_load of spec read the source again: drops a
 * secretsmanager:/ssm: value from the in-memory cache (file: and env:
 * are never cached). spec may be NULL. */
void secret_forget(const char *spec);

/* Wipes and frees the value; out may be loaded again afterwards. */
void secret_free(struct secret *s);

#endif
