/*
 * cmd_check.h - pieces of `mailshim check` kept in their own files.
 *
 * API:    check_report_fn, check_ses_identities() (check_identity.c).
 */
#ifndef MS_CMD_CHECK_H
#define MS_CMD_CHECK_H

#include "conf.h"
#include "relay.h"

/* One check line: level "OK", "WARN" or "FAIL". */
typedef void (*check_report_fn)(
    void *arg, const char *level, const char *what, const char *text);

/* GetEmailIdentity lines for ses relay r (made by relay_new): every
 * identity the routes that use r send as, in r's region. */
void check_ses_identities(const struct ms_conf *conf, struct relay *r,
    check_report_fn report, void *arg);

#endif
