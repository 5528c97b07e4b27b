/*
 * test_aws_error.c - error names and messages from AWS answers.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "aws_error.h"
#include "tap.h"

static const struct {
	const char *name, *hdr, *body, *want_name, *want_msg;
} parse_cases[] = {
	{ "header wins", "MessageRejected:http://internal.amazon.com/coral/x",
	    "{\"message\":\"Email address is not verified.\"}",
	    "MessageRejected", "Email address is not verified." },
	{ "__type with namespace", NULL,
	    "{\"__type\":\"com.amazonaws.ses#SendingPausedException\","
	    "\"Message\":\"paused\"}",
	    "SendingPausedException", "paused" },
	{ "code field", "",
	    "{\"code\":\"ThrottlingException\","
	    "\"message\":\"Rate exceeded\"}",
	    "ThrottlingException", "Rate exceeded" },
	{ "not json", NULL, "<html>502 Bad Gateway</html>", "", "" },
	{ "empty", NULL, NULL, "", "" },
	{ "control bytes quoted", NULL,
	    "{\"__type\":\"X\",\"message\":\"a\\nb\"}", "X", "a?b" },
	{ "json array", NULL, "[1,2]", "", "" },
};

int
main(void)
{
	struct aws_error e;

	for (size_t i = 0; i < MS_ARRAY_LEN(parse_cases); i++) {
		const char *b = parse_cases[i].body;

		aws_error_parse(parse_cases[i].hdr, b, b ? strlen(b) : 0, &e);
		CHECK(strcmp(e.name, parse_cases[i].want_name) == 0,
		    "parse %s: name %s", parse_cases[i].name, e.name);
		CHECK(strcmp(e.message, parse_cases[i].want_msg) == 0,
		    "parse %s: message %s", parse_cases[i].name, e.message);
	}
	CHECK(aws_error_is_auth("InvalidSignatureException") &&
		!aws_error_is_auth("AccessDeniedException") &&
		!aws_error_is_auth(""),
	    "is_auth");
	return tap_done();
}
