/*
 * check_account.c - the SES part of `mailshim check`: SES v2 GetAccount
 *                   for each ses relay, one row of the SES table per
 *                   relay (region, transport, whether the credentials
 *                   work, sandbox, sending paused, enforcement status,
 *                   24-hour quota, usage, maximum rate), a check line for
 *                   what needs the operator, and the table itself.
 *
 * API:    check_ses_account(), check_print_ses_table() (cmd_check.h).
 * Trust:  never prints a secret: the account's figures and flags only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_check.h"
#include "conf.h"
#include "relay.h"
#include "relay_ses.h"

static const char *const ses_head[SC_COUNT] = { "relay", "region", "transport",
	"credentials", "sandbox", "sending", "enforcement", "max 24h",
	"sent 24h", "max rate", "" };

static void
num_text(char *out, size_t len, double v, const char *unit)
{
	if (v < 0)
		snprintf(out, len, "unlimited");
	else if (v == (double)(long long)v)
		snprintf(out, len, "%lld%s", (long long)v, unit);
	else
		snprintf(out, len, "%.1f%s", v, unit);
}

enum ms_status
check_ses_account(struct relay *r, bool smtp_login_ok, struct ses_table *tab,
    check_report_fn report, void *arg)
{
	const struct relay_conf *rc = r->conf;
	struct ses_row *row = &tab->rows[tab->n++];
	struct ses_account a;
	struct ms_err err = { "" };
	enum ms_status st;
	bool api = rc->transport == SES_API;
	char what[300], text[1200];

	memset(row, 0, sizeof(*row));
	snprintf(row->col[SC_RELAY], sizeof(row->col[0]), "%.79s", rc->name);
	snprintf(row->col[SC_REGION], sizeof(row->col[0]), "%.79s",
	    rc->region != NULL ? rc->region : "?");
	snprintf(row->col[SC_TRANSPORT], sizeof(row->col[0]), "%s",
	    api ? "api" : "smtp");
	for (int i = SC_SANDBOX; i < SC_NOTE; i++)
		snprintf(row->col[i], sizeof(row->col[0]), "-");
	snprintf(what, sizeof(what), "relay %s SES account", rc->name);
	st = relay_ses_account(r, &a, &err);
	/* An ses relay is never unpaced: say what it will send at. */
	if (rc->rate <= 0) {
		char pw[300];

		snprintf(pw, sizeof(pw), "relay %s pacing", rc->name);
		if (st == MS_OK && a.max_rate > 0)
			snprintf(text, sizeof(text),
			    "%s: %.2f recipients/s (80%% of SES MaxSendRate "
			    "%.2f, asked again every 10 minutes)",
			    rc->rate < 0 ? "rate = auto" : "no rate set",
			    a.max_rate * 0.8, a.max_rate);
		else
			snprintf(text, sizeof(text),
			    "%s: 1 recipient/s, SES quota unknown (fix: set "
			    "rate to your account's limit, or allow "
			    "ses:GetAccount)",
			    rc->rate < 0 ? "rate = auto" : "no rate set");
		report(arg, st == MS_OK && a.max_rate > 0 ? "OK" : "WARN", pw,
		    text);
	}
	if (api && (st == MS_OK || st == MS_NOPERM)) {
		/* The API relay's probe is this call: say so first. */
		snprintf(text, sizeof(text), "relay %s", rc->name);
		report(arg, "OK", text, "SES API reachable, credentials work");
	}
	switch (st) {
	case MS_OK:
		snprintf(row->col[SC_CREDS], sizeof(row->col[0]), "ok");
		snprintf(row->col[SC_SANDBOX], sizeof(row->col[0]), "%s",
		    a.production_access ? "no" : "yes");
		snprintf(row->col[SC_SENDING], sizeof(row->col[0]), "%s",
		    a.sending_enabled ? "enabled" : "paused");
		snprintf(row->col[SC_ENFORCE], sizeof(row->col[0]), "%.30s",
		    a.enforcement_status[0] ? a.enforcement_status : "?");
		num_text(
		    row->col[SC_MAX24], sizeof(row->col[0]), a.max_24h, "");
		num_text(
		    row->col[SC_SENT24], sizeof(row->col[0]), a.sent_24h, "");
		num_text(
		    row->col[SC_RATE], sizeof(row->col[0]), a.max_rate, "/s");
		if (!a.sending_enabled ||
		    strcmp(a.enforcement_status, "SHUTDOWN") == 0) {
			snprintf(text, sizeof(text),
			    "sending is %s in %s "
			    "(enforcement %s): mail to this relay stays "
			    "queued (fix: see the SES console's account "
			    "dashboard)",
			    a.sending_enabled ? "shut down" : "paused",
			    row->col[SC_REGION], row->col[SC_ENFORCE]);
			report(arg, "FAIL", what, text);
		} else {
			if (!a.production_access) {
				snprintf(text, sizeof(text),
				    "the account is "
				    "in the SES sandbox in %s: mail goes only "
				    "to verified addresses (fix: request "
				    "production access)",
				    row->col[SC_REGION]);
				report(arg, "WARN", what, text);
			}
			if (strcmp(a.enforcement_status, "PROBATION") == 0)
				report(arg, "WARN", what,
				    "the account is on "
				    "probation (bounce or complaint rate)");
			if (a.max_24h >= 0 && a.sent_24h >= a.max_24h)
				report(arg, "WARN", what,
				    "the 24-hour quota is "
				    "used up: mail waits until it frees");
			if (a.production_access && a.max_24h != 0 &&
			    (a.max_24h < 0 || a.sent_24h < a.max_24h) &&
			    strcmp(a.enforcement_status, "PROBATION") != 0)
				report(arg, "OK", what,
				    "sending enabled, quota "
				    "left");
		}
		break;
	case MS_NOPERM:
		snprintf(row->col[SC_CREDS], sizeof(row->col[0]), "%s",
		    api || smtp_login_ok ? "ok" : "failed");
		snprintf(row->col[SC_NOTE], sizeof(row->col[0]),
		    "quota unknown (ses:GetAccount not allowed)");
		report(arg, "WARN", what,
		    "quota unknown (ses:GetAccount not "
		    "allowed; fine for SMTP-only credentials, needed for "
		    "rate = \"auto\")");
		break;
	case MS_PERM:
		snprintf(row->col[SC_CREDS], sizeof(row->col[0]), "failed");
		snprintf(row->col[SC_NOTE], sizeof(row->col[0]),
		    "credentials rejected");
		snprintf(text, sizeof(text),
		    "AWS rejected the credentials: "
		    "%.700s (fix: check the key id, secret and session "
		    "token of the relay's credentials)",
		    err.msg);
		report(arg, "FAIL", what, text);
		break;
	default:
		if (!api && st == MS_CONFIG) {
			/* SMTP user name and password: nothing to ask. */
			snprintf(row->col[SC_CREDS], sizeof(row->col[0]), "%s",
			    smtp_login_ok ? "ok" : "failed");
			snprintf(row->col[SC_NOTE], sizeof(row->col[0]),
			    "quota unknown (no AWS key to ask with)");
			break;
		}
		snprintf(row->col[SC_CREDS], sizeof(row->col[0]), "%s",
		    st == MS_CONFIG
			? "missing"
			: (api ? "unknown"
			       : (smtp_login_ok ? "ok" : "failed")));
		snprintf(row->col[SC_NOTE], sizeof(row->col[0]),
		    "quota unknown (%s)",
		    st == MS_CONFIG ? "no AWS credentials"
				    : "SES API unreachable");
		snprintf(text, sizeof(text), "%.900s%s", err.msg,
		    api ? " (fix: check endpoint, ca_file, proxy and "
			  "credentials; "
			  "mail to it stays queued)"
			: "");
		report(arg, api ? "FAIL" : "WARN", what, text);
		break;
	}
	return st;
}

void
check_print_ses_table(const struct ses_table *tab)
{
	size_t w[SC_COUNT];

	if (tab->n == 0)
		return;
	for (int c = 0; c < SC_COUNT; c++) {
		w[c] = strlen(ses_head[c]);
		for (int i = 0; i < tab->n; i++)
			if (strlen(tab->rows[i].col[c]) > w[c])
				w[c] = strlen(tab->rows[i].col[c]);
	}
	printf("\nSES accounts:\n");
	for (int i = -1; i < tab->n; i++) {
		printf(" ");
		for (int c = 0; c < SC_COUNT; c++) {
			const char *v =
			    i < 0 ? ses_head[c] : tab->rows[i].col[c];

			if (c == SC_NOTE && *v != '\0')
				printf("  %s", v);
			else if (c == SC_NOTE)
				continue;
			else if (c == SC_NOTE - 1 &&
			    (i < 0 || tab->rows[i].col[SC_NOTE][0] == '\0'))
				printf("  %s", v); /* no trailing blanks */
			else
				printf("  %-*s", (int)w[c], v);
		}
		printf("\n");
	}
	printf("\n");
	fflush(stdout);
}
