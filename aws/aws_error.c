/*
 * aws_error.c - error names and messages from AWS answers, and the SES v2
 *               classification table (domain.md 5.3).
 *
 * API:    aws_error_parse(), aws_error_is_auth(), ses_error_classify(),
 *         ses_transport_classify().  Documented in aws_error.h.
 * Trust:  parses untrusted bodies with jansson; output is quoted.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aws_error.h"

static void
copy_quoted(char *out, size_t outlen, const char *in)
{
	ms_quote(out, outlen, in, strlen(in));
}

void
aws_error_parse(
    const char *hdr_type, const char *body, size_t len, struct aws_error *e)
{
	json_t *root = NULL;
	const char *name = NULL, *msg = NULL, *p;

	memset(e, 0, sizeof(*e));
	if (body != NULL && len > 0)
		root = json_loadb(body, len, 0, NULL);
	if (root != NULL && json_is_object(root)) {
		name = json_string_value(json_object_get(root, "__type"));
		if (name == NULL)
			name = json_string_value(json_object_get(root, "code"));
		if (name == NULL)
			name = json_string_value(json_object_get(root, "Code"));
		msg = json_string_value(json_object_get(root, "message"));
		if (msg == NULL)
			msg =
			    json_string_value(json_object_get(root, "Message"));
	}
	if (hdr_type != NULL && hdr_type[0] != '\0')
		name = hdr_type;
	if (name != NULL) {
		/* "com.amazonaws.ses#MessageRejected" and
		 * "MessageRejected:http://internal.amazon.com/..." */
		if ((p = strrchr(name, '#')) != NULL)
			name = p + 1;
		copy_quoted(e->name, sizeof(e->name), name);
		e->name[strcspn(e->name, ":")] = '\0';
	}
	if (msg != NULL)
		copy_quoted(e->message, sizeof(e->message), msg);
	json_decref(root);
}

static bool
name_is(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

bool
aws_error_is_auth(const char *name)
{
	static const char *const auth[] = { "ExpiredToken",
		"ExpiredTokenException", "InvalidSignatureException",
		"SignatureDoesNotMatch", "UnrecognizedClientException",
		"IncompleteSignature", "IncompleteSignatureException",
		"InvalidClientTokenId", "AuthFailure", "RequestExpired",
		"MissingAuthenticationTokenException", NULL };

	return name != NULL && name_is(name, auth);
}

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
		set(o, MS_TEMP, RELAY_FAILED, SES_HOLD_AUTH, true,
		    "credentials");
		o->refresh_creds = aws_error_is_auth(name);
	} else if ((name_is(name, throttle) ||
		       strcmp(name, "LimitExceededException") == 0) &&
	    quota) {
		set(o, MS_TEMP, RELAY_HOLD, SES_HOLD_QUOTA, true,
		    "daily quota");
	} else if (name_is(name, throttle) || http_status == 429) {
		set(o, MS_TEMP, RELAY_FAILED, SES_HOLD_THROTTLE, true,
		    "throttled");
	} else if (name_is(name, paused)) {
		set(o, MS_TEMP, RELAY_HOLD, SES_HOLD_PAUSED, true,
		    "sending paused");
	} else if (strcmp(name, "MessageRejected") == 0 &&
	    contains(message, "paused")) {
		set(o, MS_TEMP, RELAY_HOLD, SES_HOLD_PAUSED, true,
		    "sending paused");
	} else if (strcmp(name, "MailFromDomainNotVerifiedException") == 0 ||
	    strcmp(name, "NotFoundException") == 0) {
		set(o, MS_TEMP, RELAY_HOLD, SES_HOLD_CONFIG, true,
		    "relay configuration");
	} else if (http_status >= 500 || strcmp(name, "InternalFailure") == 0 ||
	    strcmp(name, "ServiceUnavailable") == 0) {
		set(o, MS_TEMP, RELAY_FAILED, SES_HOLD_SERVER, true,
		    "server error");
	} else if (strcmp(name, "LimitExceededException") == 0 ||
	    name_is(name, perm)) {
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
	set(o, MS_TEMP, RELAY_FAILED, SES_HOLD_SERVER, true, "connection");
	*hint = NULL;
	if (!reached && timed_out)
		*hint =
		    "no route to SES API; use SMTP through the VPC endpoint";
}
