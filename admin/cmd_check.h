/*
 * cmd_check.h - pieces of `mailshim check` kept in their own files.
 *
 * API:    check_report_fn, check_ses_identities() (check_identity.c),
 *         struct ses_table, check_ses_account(), check_print_ses_table()
 *         (check_account.c).
 */
#ifndef MS_CMD_CHECK_H
#define MS_CMD_CHECK_H

#include <stdbool.h>

#include "conf.h"
#include "relay.h"

/* One check line: level "OK", "WARN" or "FAIL". */
typedef void (*check_report_fn)(
    void *arg, const char *level, const char *what, const char *text);

/* GetEmailIdentity lines for ses relay r (made by relay_new): every
 * identity the routes that use r send as, in r's region. */
void check_ses_identities(const struct ms_conf *conf, struct relay *r,
    check_report_fn report, void *arg);

/* The SES table: one row per ses relay, printed after the checks. */
enum {
	SC_RELAY,
	SC_REGION,
	SC_TRANSPORT,
	SC_CREDS,
	SC_SANDBOX,
	SC_SENDING,
	SC_ENFORCE,
	SC_MAX24,
	SC_SENT24,
	SC_RATE,
	SC_NOTE,
	SC_COUNT
};

struct ses_row {
	char col[SC_COUNT][80];
};

struct ses_table {
	struct ses_row *rows;
	int n;
};

/* GetAccount for ses relay r: one row of tab (which has room for it),
 * and a check line through report for what needs the operator.
 * smtp_login_ok: the relay's SMTP probe logged in. Returns the status
 * of relay_ses_account. */
enum ms_status check_ses_account(struct relay *r, bool smtp_login_ok,
    struct ses_table *tab, check_report_fn report, void *arg);

/* Prints tab under "SES accounts:" (nothing when it has no row). */
void check_print_ses_table(const struct ses_table *tab);

#endif
