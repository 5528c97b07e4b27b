/*
 * ses_priv.h - the state an ses relay keeps between messages, shared by
 *              its two halves: relay_ses.c (setup, SMTP transport) and
 *              relay_ses_api.c (the v2 API transport, GetAccount, rate =
 *              auto), and by ses_outcome.c (results, hints, alerts and
 *              holds for both). Internal to relay/.
 */
#ifndef MS_SES_PRIV_H
#define MS_SES_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "aws_creds.h"
#include "relay.h"
#include "ses_api.h"
#include "ses_region.h"
#include "ses_reply.h"
#include "smtp_session.h"

struct ses_priv {
	struct ses_smtp_settings set;
	struct smtp_session *sess;     /* SMTP transport, after creds */
	long long sess_creds_at;       /* when sess's credentials were read */
	struct aws_creds_provider *cp; /* API transport / rate = auto */
	double rate;		       /* resolved recipients per second */
	bool rate_auto;		       /* rate from GetAccount (or 1/s) */
	long long rate_at;	       /* when it was last asked; 0: never */
	bool rate_said;		       /* logged once (then on changes) */
	bool auth_logged;
	/* set by the classify hook during one smtp_session_send */
	bool saw_reconnect;
	bool saw_throttle;
	enum ses_kind alert_kind;
	char alert_text[RELAY_REPLY_MAX];
};

/* ses_outcome.c */

/* Gives n recipients the same result and reply. */
void ses_set_all(
    struct relay_rcpt *rc, size_t n, enum ms_status result, const char *reply);

/* Recipients from index from on stay queued: "not attempted: why". */
void ses_rest_temp(struct relay_msg *msg, size_t from, const char *why);

/* Logs what needs an operator once, and holds the relay for quota,
 * pause or IAM denial (p->alert_kind says which). */
void
ses_alert(struct relay *r, struct ses_priv *p, const struct relay_msg *part);

/* Rewrites the replies of recipients refused for good that an operator
 * must act on: an identity not verified in the relay's region (which
 * address, which region; addrs are the message's recipients), a
 * message too large for SES. */
void ses_explain(struct relay *r, struct relay_msg *msg, const char **addrs);

/* relay_ses_api.c */

/* The API parameters of relay rc (its endpoint only with transport api). */
void ses_api_params_of(const struct relay_conf *rc, struct ses_api_params *ap);

/* Makes the relay's AWS credential provider on first use. */
enum ms_status
ses_ensure_provider(struct relay *r, struct ses_priv *p, struct ms_err *err);

/* Settles p->rate (rate = auto, or no rate: GetAccount, else 1/s),
 * again every 10 minutes and after throttling. */
void ses_resolve_rate(struct relay *r, struct ses_priv *p);

/* Sends msg through the v2 API, paced per call. MS_OK with results. */
enum ms_status ses_send_api(struct relay *r, struct ses_priv *p,
    struct relay_msg *msg, struct ms_err *err);

#endif
