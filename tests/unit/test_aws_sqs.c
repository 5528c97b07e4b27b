/*
 * test_aws_sqs.c - the pure parts of the SQS hand-off: queue URLs
 *                  (aws/aws_sqs.c), MD5OfBody, the hand-off key
 *                  (relay/relay_sqs.c) and the names of its record
 *                  (flush/pulled.c). Expected hashes come from md5sum
 *                  and sha256sum, URL forms from the SQS documentation.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "aws_sqs.h"
#include "pulled.h"
#include "relay_sqs.h"
#include "tap.h"

static const struct {
	const char *url, *region, *name;
	bool ok;
} urls[] = {
	{ "https://sqs.us-east-1.amazonaws.com/123456789012/MyQueue",
	    "us-east-1", "MyQueue", true },
	{ "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/Mail.fifo",
	    "cn-north-1", "Mail.fifo", true },
	{ "https://eu-west-1.queue.amazonaws.com/123456789012/legacy",
	    "eu-west-1", "legacy", true },
	{ "https://sqs.us-west-2.amazonaws.com/123456789012/q/", "us-west-2",
	    "q", true },
	{ "https://vpce-1a2b.sqs.us-east-1.vpce.amazonaws.com/1/q", "", "q",
	    false },
	{ "http://127.0.0.1:4566/000000000000/local", "", "local", false },
	{ "https://sqs..amazonaws.com/1/x", "", "x", false },
	{ "https://sqs.US-EAST-1.amazonaws.com/1/x", "", "x", false },
	{ "https://example.com", "", "", false },
};

int
main(void)
{
	char region[AWS_SQS_REGION_MAX], name[128], md5[33];
	char key[RELAY_SQS_KEY_MAX];
	const char *rc2[] = { "b@example.org", "a@example.net" };
	const char *rc2s[] = { "a@example.net", "b@example.org" };
	struct ms_err err;

	for (size_t i = 0; i < MS_ARRAY_LEN(urls); i++) {
		bool ok =
		    aws_sqs_region_of(urls[i].url, region, sizeof(region));

		CHECK(ok == urls[i].ok, "%s: region_of %d", urls[i].url, ok);
		if (ok)
			CHECK_STR(region, urls[i].region, urls[i].url);
		aws_sqs_name_of(urls[i].url, name, sizeof(name));
		CHECK_STR(name, urls[i].name, urls[i].url);
	}
	CHECK(!aws_sqs_region_of("https://sqs.a-very-long-region-name-1"
				 ".amazonaws.com/1/q",
		  region, 8),
	    "region longer than the buffer refused");

	aws_sqs_md5_hex("hello", 5, md5); /* md5sum */
	CHECK_STR(md5, "5d41402abc4b2a76b9719d911017c592", "md5 hello");

	/* sha256sum of "a@example.net\0b@example.org\0": 822dd8cae8697425 */
	CHECK(relay_sqs_key("0660EE6B460D7DB5A643F2", rc2, 2, key, sizeof(key),
		  &err) == MS_OK,
	    "key: %s", err.msg);
	CHECK_STR(key, "0660EE6B460D7DB5A643F2-822dd8cae8697425",
	    "key sorts the recipients");
	CHECK(relay_sqs_key("0660EE6B460D7DB5A643F2", rc2s, 2, key, sizeof(key),
		  &err) == MS_OK,
	    "key: %s", err.msg);
	CHECK_STR(key, "0660EE6B460D7DB5A643F2-822dd8cae8697425",
	    "key does not depend on the order");
	CHECK(relay_sqs_key("0660EE6B460D7DB5A643F2", rc2, 1, key, sizeof(key),
		  &err) == MS_OK &&
		strcmp(key, "0660EE6B460D7DB5A643F2-822dd8cae8697425") != 0,
	    "another recipient set, another key");
	CHECK(relay_sqs_key("0660EE6B460D7DB5A643F2", rc2, 2, key, 20, &err) ==
		MS_DATA,
	    "key that does not fit refused");

	CHECK(pulled_key_valid("0660EE6B460D7DB5A643F2-822dd8cae8697425"),
	    "a key is a record name");
	CHECK(!pulled_key_valid("../run/x"), "no path in a record name");
	CHECK(!pulled_key_valid(""), "empty record name");
	CHECK(!pulled_key_valid("-x"), "record name starting with -");
	CHECK(!pulled_key_valid("a.b"), "dots refused");
	CHECK(
	    !pulled_key_valid(
		"0123456789012345678901234567890123456789012345678901234567890"
		"123"),
	    "64 characters refused");
	return tap_done();
}
