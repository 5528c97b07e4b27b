/*
 * ses_api_error.c - what an SES v2 API answer means for the message and
 *                   the relay: the classification table of domain.md 5.3.
 *
 * API:    ses_error_classify(), ses_transport_classify().  Documented in
 *         ses_api_error.h.
 * Errors: none; pure functions over their inputs.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "aws_error.h"
#include "ses_api_error.h"

static bool
contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay != NULL && *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static void
set(struct ses_outcome *o, enum ms_status st, enum relay_health h, long hold,
    bool no_count, const char *why)
{
	o->status = st;
	o->health = h;
	o->hold_seconds = hold;
	o->no_count = no_count;
	o->why = why;
}

void
ses_error_classify(long http_status, const char *name, const char *message,
    struct ses_outcome *o)
{
	static const char *const throttle[] = { "TooManyRequestsException",
		"ThrottlingException", "Throttling", "RequestLimitExceeded",
		"SlowDown", NULL };
	static const char *const paused[] = { "SendingPausedException",
		"AccountSuspendedException", NULL };
	static const char *const perm[] = { "MessageRejected",
		"BadRequestException", "ValidationException",
		"InvalidParameterValue", "SerializationException", NULL };
	bool quota;

	memset(o, 0, sizeof(*o));
	if (name == NULL)
		name = "";
	if (message == NULL)
		message = "";
	quota = contains(message, "quota");
	if (http_status >= 200 && http_status < 300) {
		set(o, MS_OK, RELAY_FINE, 0, false, "sent");
	} else if (aws_error_is_auth(name) ||
	    strcmp(name, "AccessDeniedException") == 0 ||
	    strcmp(name, "AccessDenied") == 0) {
		set(o, MS_TEMP, RELAY_FAILED, SES_API_HOLD_AUTH, true,
		    "credentials");
		o->refresh_creds = aws_error_is_auth(name);
	} else if ((aws_error_name_in(name, throttle) ||
		       strcmp(name, "LimitExceededException") == 0) &&
	    quota) {
		set(o, MS_TEMP, RELAY_HOLD, SES_API_HOLD_QUOTA, true,
		    "daily quota");
	} else if (aws_error_name_in(name, throttle) || http_status == 429) {
		/* The relay works, only faster than SES allows: the caller
		 * slows its rate and retries; no failover, no hold. */
		set(o, MS_TEMP, RELAY_FINE, 0, true, "throttled");
		o->throttled = true;
	} else if (aws_error_name_in(name, paused)) {
		set(o, MS_TEMP, RELAY_HOLD, SES_API_HOLD_PAUSED, true,
		    "sending paused");
	} else if (strcmp(name, "MessageRejected") == 0 &&
	    contains(message, "paused")) {
		set(o, MS_TEMP, RELAY_HOLD, SES_API_HOLD_PAUSED, true,
		    "sending paused");
	} else if (strcmp(name, "MailFromDomainNotVerifiedException") == 0 ||
	    strcmp(name, "NotFoundException") == 0) {
		set(o, MS_TEMP, RELAY_HOLD, SES_API_HOLD_CONFIG, true,
		    "relay configuration");
	} else if (http_status >= 500 || strcmp(name, "InternalFailure") == 0 ||
	    strcmp(name, "ServiceUnavailable") == 0) {
		set(o, MS_TEMP, RELAY_FAILED, SES_API_HOLD_SERVER, true,
		    "server error");
	} else if (strcmp(name, "LimitExceededException") == 0 ||
	    aws_error_name_in(name, perm)) {
		set(o, MS_PERM, RELAY_FINE, 0, false, "rejected");
	} else {
		/* Unknown 4xx: keep the message; it counts as an attempt,
		 * so give_up still ends it. */
		set(o, MS_TEMP, RELAY_FINE, 0, false, "unexpected answer");
	}
}

void
ses_transport_classify(
    bool reached, bool timed_out, struct ses_outcome *o, const char **hint)
{
	memset(o, 0, sizeof(*o));
	set(o, MS_TEMP, RELAY_FAILED, SES_API_HOLD_SERVER, true, "connection");
	*hint = NULL;
	if (!reached && timed_out)
		*hint =
		    "no route to SES API; use SMTP through the VPC endpoint";
}
