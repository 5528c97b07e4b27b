/*
 * test_ses_api_error.c - the SES v2 classification table (domain.md 5.3):
 *                        what each API answer means for the message and
 *                        the relay.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ses_api_error.h"
#include "tap.h"

static const struct {
	const char *name;
	long status;
	const char *err, *msg;
	enum ms_status want;
	enum relay_health health;
	long hold;
	bool no_count, refresh;
} class_cases[] = {
	{ "sent", 200, NULL, NULL, MS_OK, RELAY_FINE, 0, false, false },
	/* issue 15: throttling slows and retries the relay; it never fails
	 * over (RELAY_FAILED) and never holds it */
	{ "429 rate", 429, "TooManyRequestsException",
	    "Maximum sending rate exceeded.", MS_TEMP, RELAY_FINE, 0, true,
	    false },
	{ "429 without name", 429, "", "", MS_TEMP, RELAY_FINE, 0, true,
	    false },
	{ "throttling", 400, "ThrottlingException", "Rate exceeded", MS_TEMP,
	    RELAY_FINE, 0, true, false },
	{ "throttling daily quota", 400, "ThrottlingException",
	    "Daily message quota exceeded", MS_TEMP, RELAY_HOLD,
	    SES_API_HOLD_QUOTA, true, false },
	{ "limit exceeded quota", 400, "LimitExceededException",
	    "Daily message quota exceeded.", MS_TEMP, RELAY_HOLD,
	    SES_API_HOLD_QUOTA, true, false },
	{ "limit exceeded other", 400, "LimitExceededException",
	    "Too many configuration sets", MS_PERM, RELAY_FINE, 0, false,
	    false },
	{ "not verified", 400, "MessageRejected",
	    "Email address is not verified. The following identities failed "
	    "the check in region US-EAST-1: a@b",
	    MS_PERM, RELAY_FINE, 0, false, false },
	{ "rejected paused", 400, "MessageRejected",
	    "Sending paused for this account.", MS_TEMP, RELAY_HOLD,
	    SES_API_HOLD_PAUSED, true, false },
	{ "mail from", 400, "MailFromDomainNotVerifiedException", "x", MS_TEMP,
	    RELAY_HOLD, SES_API_HOLD_CONFIG, true, false },
	{ "paused", 400, "SendingPausedException", "", MS_TEMP, RELAY_HOLD,
	    SES_API_HOLD_PAUSED, true, false },
	{ "suspended", 400, "AccountSuspendedException", "", MS_TEMP,
	    RELAY_HOLD, SES_API_HOLD_PAUSED, true, false },
	{ "config set missing", 404, "NotFoundException", "", MS_TEMP,
	    RELAY_HOLD, SES_API_HOLD_CONFIG, true, false },
	{ "bad request", 400, "BadRequestException", "bad base64", MS_PERM,
	    RELAY_FINE, 0, false, false },
	{ "expired token", 403, "ExpiredTokenException", "", MS_TEMP,
	    RELAY_FAILED, SES_API_HOLD_AUTH, true, true },
	{ "bad signature", 403, "SignatureDoesNotMatch", "", MS_TEMP,
	    RELAY_FAILED, SES_API_HOLD_AUTH, true, true },
	{ "unknown key", 403, "UnrecognizedClientException", "", MS_TEMP,
	    RELAY_FAILED, SES_API_HOLD_AUTH, true, true },
	{ "access denied", 403, "AccessDeniedException", "", MS_TEMP,
	    RELAY_FAILED, SES_API_HOLD_AUTH, true, false },
	{ "500", 500, "InternalFailure", "", MS_TEMP, RELAY_FAILED,
	    SES_API_HOLD_SERVER, true, false },
	{ "503 no name", 503, "", "", MS_TEMP, RELAY_FAILED,
	    SES_API_HOLD_SERVER, true, false },
	{ "unknown 4xx", 400, "SomethingNew", "", MS_TEMP, RELAY_FINE, 0, false,
	    false },
};

int
main(void)
{
	struct ses_outcome o;
	const char *hint;

	for (size_t i = 0; i < MS_ARRAY_LEN(class_cases); i++) {
		ses_error_classify(class_cases[i].status, class_cases[i].err,
		    class_cases[i].msg, &o);
		CHECK(o.status == class_cases[i].want &&
			o.health == class_cases[i].health &&
			(o.health == RELAY_FINE ||
			    o.hold_seconds == class_cases[i].hold) &&
			o.no_count == class_cases[i].no_count &&
			o.refresh_creds == class_cases[i].refresh,
		    "classify %s: status %d health %d hold %ld no_count %d "
		    "refresh %d",
		    class_cases[i].name, o.status, o.health, o.hold_seconds,
		    o.no_count, o.refresh_creds);
	}
	ses_transport_classify(false, true, &o, &hint);
	CHECK(o.status == MS_TEMP && o.health == RELAY_FAILED && hint &&
		strstr(hint, "no route to SES API"),
	    "transport timeout hint");
	ses_transport_classify(true, true, &o, &hint);
	CHECK(o.status == MS_TEMP && hint == NULL, "transport reached");
	return tap_done();
}
