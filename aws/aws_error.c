/*
 * aws_error.c - error names and messages from AWS answers.
 *
 * API:    aws_error_parse(), aws_error_is_auth(), aws_error_name_in().
 *         Documented in aws_error.h.
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

bool
aws_error_name_in(const char *name, const char *const *list)
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

	return name != NULL && aws_error_name_in(name, auth);
}
