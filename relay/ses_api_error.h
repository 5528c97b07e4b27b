/*
 * ses_api_error.h - what an SES v2 API answer (or the lack of one) means
 *                   for the message and the relay (domain.md 5.3).
 *
 * API:    ses_error_classify(), ses_transport_classify().
 * Errors: none; these are pure functions over their inputs.
 */
#ifndef MS_SES_API_ERROR_H
#define MS_SES_API_ERROR_H

#include <stdbool.h>

#include "ms.h"
#include "relay.h"

struct ses_outcome {
	enum ms_status status; /* MS_OK, MS_TEMP or MS_PERM */
	enum relay_health health;
	long hold_seconds;  /* with RELAY_FAILED / RELAY_HOLD */
	bool no_count;	    /* not the message's fault: retry soon */
	bool refresh_creds; /* invalidate credentials, retry once */
	bool throttled;	    /* sending rate exceeded: slow down, retry;
			       never a reason to fail over or hold */
	const char *why;    /* short class name for the reply */
};

/* Hold times (seconds) used by the table below. */
#define SES_API_HOLD_QUOTA  1800
#define SES_API_HOLD_PAUSED 3600
#define SES_API_HOLD_CONFIG 600
#define SES_API_HOLD_AUTH   300
#define SES_API_HOLD_SERVER 60

/* Classifies an SES v2 SendEmail answer (domain.md 5.3): http_status
 * with the parsed error name and message. 2xx gives MS_OK. */
void ses_error_classify(long http_status, const char *name, const char *message,
    struct ses_outcome *out);

/* Classifies a transport failure (no HTTP answer): always MS_TEMP +
 * RELAY_FAILED. When the API was never reached (timed out connecting),
 * *hint is set to advice for the reply ("no route to SES API; ..."). */
void ses_transport_classify(
    bool reached, bool timed_out, struct ses_outcome *out, const char **hint);

#endif
