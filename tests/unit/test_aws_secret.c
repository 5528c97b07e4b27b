/*
 * test_aws_secret.c - #key selection inside JSON secret values and spec
 *                     checking (no network: malformed specs only).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws_provider.h"
#include "aws_secret.h"
#include "tap.h"

static const struct {
	const char *name, *json, *key;
	enum ms_status want;
	const char *value;
} cases[] = {
	{ "string", "{\"username\":\"u\",\"password\":\"p@ss\"}", "password",
	    MS_OK, "p@ss" },
	{ "seed 001 layout",
	    "{\"Host\":\"demo-smtp.host.com\",\"Port\":25,"
	    "\"User\":\"relay\",\"Pass\":\"hunter2\"}",
	    "Pass", MS_OK, "hunter2" },
	{ "number", "{\"Port\":25}", "Port", MS_OK, "25" },
	{ "unicode", "{\"k\":\"\\u00e9t\\u00e9\"}", "k", MS_OK,
	    "\xc3\xa9t\xc3\xa9" },
	{ "missing key", "{\"a\":\"b\"}", "password", MS_CONFIG, NULL },
	{ "object value", "{\"a\":{\"b\":1}}", "a", MS_CONFIG, NULL },
	{ "null value", "{\"a\":null}", "a", MS_CONFIG, NULL },
	{ "not json", "plain-password", "password", MS_CONFIG, NULL },
	{ "array", "[\"a\"]", "0", MS_CONFIG, NULL },
};

static const char *bad_specs[] = { "secretsmanager:", "ssm:", "ssm:/x#",
	"file:/etc/passwd", "secretsmanager:#key" };

int
main(void)
{
	struct ms_err err;
	char *v;

	for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
		enum ms_status st =
		    aws_secret_select(cases[i].json, cases[i].key, &v, &err);

		CHECK(st == cases[i].want, "%s: status %d", cases[i].name, st);
		if (st == MS_OK) {
			CHECK(strcmp(v, cases[i].value) == 0, "%s: value",
			    cases[i].name);
			free(v);
		} else {
			CHECK(
			    v == NULL, "%s: no value on error", cases[i].name);
			/* errors never quote the secret text */
			CHECK(strstr(err.msg, "plain-password") == NULL,
			    "%s: error leaks value", cases[i].name);
		}
	}
	for (size_t i = 0; i < MS_ARRAY_LEN(bad_specs); i++)
		CHECK(aws_secret_load(bad_specs[i], &v, &err) == MS_CONFIG,
		    "spec %s refused", bad_specs[i]);
	/* jansson frees wipe (aws_json.c), installed before main(), and
	 * stay compatible with free() for json_dumps() results. */
	CHECK(aws_json_wipe_enable(), "jansson's free is the wiping one");
	{
		json_t *o = json_pack("{s:s}", "SecretString", "s3cr3t");
		char *d = o ? json_dumps(o, JSON_COMPACT) : NULL;

		CHECK(d != NULL &&
			strcmp(d, "{\"SecretString\":\"s3cr3t\"}") == 0,
		    "dump with the wiping allocator: %s", d ? d : "(null)");
		free(d);
		json_decref(o);
	}
	return tap_done();
}
