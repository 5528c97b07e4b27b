/*
 * check_identity.c - `mailshim check`'s SES identity lines: for every ses
 *                    relay, GetEmailIdentity in the relay's region for
 *                    each identity the routes that use it send as.
 *
 * API:    check_ses_identities() (cmd_check.h).
 * Which:  each route's sender patterns ("*@example.com" -> example.com,
 *         an exact address -> the address, its domain as fallback;
 *         "*@*.example.com" and catch-alls cannot be checked), the
 *         route's rewrite_sender, and the masquerading `domain` (local
 *         senders take it). SES identities are per region, the sandbox
 *         too: a domain identity covers its addresses, so an address is
 *         asked about only when its domain is not verified (through
 *         ListEmailIdentities: see ses_api_get_identity()).
 * Lines:  OK   "identity D in REGION: verified (DKIM S, MAIL FROM M S)";
 *         WARN not verified / pending / failed / not an identity, naming
 *              the region; DKIM or MAIL FROM not SUCCESS;
 *         WARN ses:GetEmailIdentity not allowed (once per relay), naming
 *              the IAM action.
 * Trust:  credentials as for sending; never printed.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd_check.h"
#include "conf.h"
#include "relay.h"
#include "relay_ses.h"

#define IDS_MAX 64

struct ids {
	char v[IDS_MAX][256];
	int n;
};

static void
ids_add(struct ids *s, const char *id, size_t len)
{
	if (len == 0 || len >= sizeof(s->v[0]) || s->n == IDS_MAX)
		return;
	for (int i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len &&
		    strncasecmp(s->v[i], id, len) == 0)
			return;
	memcpy(s->v[s->n], id, len);
	s->v[s->n][len] = '\0';
	s->n++;
}

/* An address or pattern: "*@dom" -> dom; "a@dom" -> a@dom; else none. */
static void
ids_from(struct ids *s, const char *pat)
{
	const char *at;

	if (pat == NULL || (at = strrchr(pat, '@')) == NULL || at[1] == '\0' ||
	    strchr(at + 1, '*') != NULL)
		return;
	if (at == pat + 1 && pat[0] == '*')
		ids_add(s, at + 1, strlen(at + 1));
	else if (strchr(pat, '*') == NULL)
		ids_add(s, pat, strlen(pat));
}

static bool
route_uses(const struct route_conf *rt, const struct relay_conf *rc)
{
	for (int i = 0; i < rt->nrelays; i++)
		if (rt->relays[i] == rc ||
		    strcmp(rt->relays[i]->name, rc->name) == 0)
			return true;
	return false;
}

/* One identity: "" when fine, else the reason it is not usable. */
static void
describe(const struct ses_identity *id, char *out, size_t len)
{
	char extra[400] = "";

	if (id->dkim_status[0] && strcmp(id->dkim_status, "SUCCESS") != 0)
		snprintf(extra, sizeof(extra), "; DKIM %s", id->dkim_status);
	if (id->mail_from[0])
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
		    "; MAIL FROM %s %s", id->mail_from,
		    id->mail_from_status[0] ? id->mail_from_status : "?");
	snprintf(out, len, "%s%s%s",
	    id->verified_for_sending ? "verified" : "not verified (",
	    id->verified_for_sending ? ""
		: id->status[0]	     ? id->status
				     : "?",
	    id->verified_for_sending ? "" : ")");
	snprintf(out + strlen(out), len - strlen(out), "%s", extra);
}

/* Asks about one identity; false when the relay cannot ask at all. */
static bool
ask(struct relay *r, const char *ident, check_report_fn report, void *arg)
{
	const struct relay_conf *rc = r->conf;
	struct ses_identity id;
	struct ms_err err = { "" };
	char what[400], text[1200], desc[600], dom[256];
	const char *at = strrchr(ident, '@');
	enum ms_status st;

	snprintf(what, sizeof(what), "relay %s identity %s", rc->name, ident);
	/* An address is covered by its verified domain. */
	if (at != NULL) {
		snprintf(dom, sizeof(dom), "%s", at + 1);
		if (relay_ses_identity(r, dom, &id, &err) == MS_OK &&
		    id.verified_for_sending) {
			describe(&id, desc, sizeof(desc));
			snprintf(text, sizeof(text), "in %s: domain %s %s",
			    rc->region, dom, desc);
			report(arg,
			    strstr(desc, "DKIM") ||
				    (id.mail_from[0] &&
					strcmp(id.mail_from_status,
					    "SUCCESS") != 0)
				? "WARN"
				: "OK",
			    what, text);
			return true;
		}
	}
	st = relay_ses_identity(r, ident, &id, &err);
	switch (st) {
	case MS_OK:
		describe(&id, desc, sizeof(desc));
		snprintf(text, sizeof(text), "in %s: %s%s", rc->region, desc,
		    id.verified_for_sending ? ""
					    : " (fix: finish verifying it in "
					      "this region; mail from it is "
					      "refused here)");
		report(arg,
		    id.verified_for_sending && !strstr(desc, "DKIM") &&
			    (!id.mail_from[0] ||
				strcmp(id.mail_from_status, "SUCCESS") == 0)
			? "OK"
			: "WARN",
		    what, text);
		return true;
	case MS_NOUSER:
		snprintf(text, sizeof(text),
		    "not an SES identity in %s: mail from it is refused there "
		    "(fix: verify %s%s in %s; identities are per region)",
		    rc->region, ident, at ? " or its domain" : "", rc->region);
		report(arg, "WARN", what, text);
		return true;
	case MS_NOPERM:
		snprintf(what, sizeof(what), "relay %s identities", rc->name);
		report(arg, "WARN", what,
		    "not checked: the credentials may not call "
		    "ses:GetEmailIdentity (fix: allow that IAM action, and "
		    "ses:ListEmailIdentities for sender addresses, to see "
		    "identities here)");
		return false;
	case MS_CONFIG:
		return false; /* SMTP-only credentials: nothing to ask */
	default:
		snprintf(what, sizeof(what), "relay %s identities", rc->name);
		snprintf(text, sizeof(text), "not checked: %.900s", err.msg);
		report(arg, "WARN", what, text);
		return false;
	}
}

void
check_ses_identities(const struct ms_conf *conf, struct relay *r,
    check_report_fn report, void *arg)
{
	const struct relay_conf *rc = r->conf;
	struct ids s = { .n = 0 };

	for (int i = 0; i < conf->nroutes; i++) {
		const struct route_conf *rt = &conf->routes[i];

		if (!route_uses(rt, rc))
			continue;
		for (int k = 0; k < rt->nsenders; k++)
			ids_from(&s, rt->senders[k]);
		ids_from(&s, rt->rewrite_sender);
		if (conf->domain != NULL)
			ids_add(&s, conf->domain, strlen(conf->domain));
	}
	for (int i = 0; i < s.n; i++)
		if (!ask(r, s.v[i], report, arg))
			break;
}
