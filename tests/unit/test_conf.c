/*
 * test_conf.c - configuration errors are one line naming file, line and
 *               problem (MS_CONFIG); good files load with defaults.
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

#define LONG64 "0123456789012345678901234567890123456789012345678901234567890123"
#define LONG256 LONG64 LONG64 LONG64 LONG64
#define SES_ROUTE(body) "relay \"s\" { type = \"ses\" region = " \
	"\"eu-west-1\" }\n\nroute \"r\" { relays = {\"s\"} " body " }\n"

static const struct {
	const char *name;
	const char *text;
	enum ms_status want;
	const char *want_msg;	/* substring of the error */
} cases[] = {
	{ "good", "spool = \"/tmp/s\"\nrelay \"c\" { type = \"maildir\" "
	    "path = \"/tmp/m\" }\nroute \"default\" { relays = {\"c\"} }\n",
	    MS_OK, NULL },
	{ "unknown key", "spool = \"/tmp/s\"\nbogus = 1\n", MS_CONFIG,
	    ":2: " },
	{ "wrong type", "workers = \"many\"\n", MS_CONFIG, ":1: " },
	{ "bad relay type", "\nrelay \"x\" { type = \"pigeon\" }\n", MS_CONFIG,
	    ":2: type = \"pigeon\"" },
	{ "missing type", "relay \"x\" { host = \"h\" }\n", MS_CONFIG,
	    "has no type" },
	{ "undefined relay", "relay \"c\" { type = \"maildir\" path = \"/m\" }"
	    "\n\nroute \"r\" { relays = {\"c\", \"nope\"} }\n", MS_CONFIG,
	    ":3: route \"r\" names relay \"nope\", which is not defined" },
	{ "bad duration", "retry_first = \"5 minutes\"\n", MS_CONFIG,
	    "is not a duration" },
	{ "bad tls", "relay \"s\" { type = \"smtp\" host = \"h\" tls = \"ssl\" "
	    "}\n", MS_CONFIG, "tls = \"ssl\"" },
	{ "inline password", "relay \"s\" { type = \"smtp\" host = \"h\" "
	    "password = \"hunter2\" }\n", MS_CONFIG, "must name where" },
	{ "smtp without host", "relay \"s\" { type = \"smtp\" }\n", MS_CONFIG,
	    "needs a host" },
	{ "smtp from_parameter, no host", "relay \"s\" { type = \"smtp\" "
	    "from_parameter = \"ssm:/MailDelivery/Ticket/Alpha\" "
	    "parameter_keys = {\"host=Server\", \"pass=Password\"} }\n",
	    MS_OK, NULL },
	{ "from_parameter with #key", "relay \"s\" { type = \"smtp\" "
	    "from_parameter = \"ssm:/T#Pass\" }\n", MS_CONFIG, "no #key" },
	{ "from_parameter inline", "relay \"s\" { type = \"smtp\" "
	    "from_parameter = \"{}\" }\n", MS_CONFIG,
	    "from_parameter must name where" },
	{ "from_parameter on ses", "relay \"s\" { type = \"ses\" region = "
	    "\"x\" from_parameter = \"ssm:/T\" }\n", MS_CONFIG,
	    "from_parameter is for smtp relays" },
	{ "from_parameter with xoauth2", "relay \"s\" { type = \"smtp\" "
	    "auth = \"xoauth2\" from_parameter = \"ssm:/T\" }\n", MS_CONFIG,
	    "does not go with auth" },
	{ "bad parameter_keys field", "relay \"s\" { type = \"smtp\" "
	    "from_parameter = \"ssm:/T\" parameter_keys = {\"server=Host\"} "
	    "}\n", MS_CONFIG, "not \"server=Host\"" },
	{ "parameter_keys empty name", "relay \"s\" { type = \"smtp\" "
	    "from_parameter = \"ssm:/T\" parameter_keys = {\"host=\"} }\n",
	    MS_CONFIG, "parameter_keys entries look like" },
	{ "parameter_keys alone", "relay \"s\" { type = \"smtp\" host = "
	    "\"h\" parameter_keys = {\"host=Server\"} }\n", MS_CONFIG,
	    "parameter_keys without from_parameter" },
	{ "ses without region", "relay \"s\" { type = \"ses\" }\n", MS_CONFIG,
	    "needs a region" },
	{ "bad rate", "relay \"s\" { type = \"ses\" region = \"x\" rate = "
	    "\"fast\" }\n", MS_CONFIG, "rate = \"fast\"" },
	{ "negative size", "max_message_size = -5\n", MS_CONFIG,
	    "must not be negative" },
	{ "duplicate relay", "relay \"c\" { type = \"maildir\" path = \"/m\" }\n"
	    "relay \"c\" { type = \"maildir\" path = \"/n\" }\n", MS_CONFIG,
	    NULL },
	{ "syntax", "relay \"c\" { type = \n", MS_CONFIG, NULL },
	/* SES tag and configuration set names (API reference MessageTag,
	 * ConfigurationSet): [A-Za-z0-9_-], 1-256 / 1-64 characters, and
	 * the two fine-grained feedback tag names. */
	{ "good tags", SES_ROUTE("tags = {\"env=prod\", \"App_1=web-2\", "
	    "\"ses:feedback-id-a=camp-1\"} configuration_set = \"Prod_cs-1\""),
	    MS_OK, NULL },
	{ "tag value with a dot", SES_ROUTE("tags = {\"env=prod.eu\"}"),
	    MS_CONFIG, ":3: tags: \"env=prod.eu\"" },
	{ "tag name with a space", SES_ROUTE("tags = {\"my env=prod\"}"),
	    MS_CONFIG, ":3: tags: " },
	{ "tag with a colon", SES_ROUTE("tags = {\"ses:other=x\"}"), MS_CONFIG,
	    ":3: tags: " },
	{ "tag without =", SES_ROUTE("tags = {\"prod\"}"), MS_CONFIG,
	    ":3: tags: \"prod\"" },
	{ "tag empty value", SES_ROUTE("tags = {\"env=\"}"), MS_CONFIG,
	    ":3: tags: " },
	{ "tag empty name", SES_ROUTE("tags = {\"=prod\"}"), MS_CONFIG,
	    ":3: tags: " },
	{ "tag value non-ASCII", SES_ROUTE("tags = {\"env=pr\xc3\xa9\"}"),
	    MS_CONFIG, ":3: tags: " },
	{ "tag value 256", SES_ROUTE("tags = {\"v=" LONG256 "\"}"), MS_OK,
	    NULL },
	{ "tag value 257", SES_ROUTE("tags = {\"v=" LONG256 "x\"}"),
	    MS_CONFIG, ":3: tags: " },
	{ "tag header injection", SES_ROUTE("tags = {\"a=b, c=d\"}"),
	    MS_CONFIG, ":3: tags: " },
	{ "route confset with a space", SES_ROUTE("configuration_set = "
	    "\"prod events\""), MS_CONFIG, ":3: configuration_set = " },
	{ "route confset 64", SES_ROUTE("configuration_set = \"" LONG64 "\""),
	    MS_OK, NULL },
	{ "route confset 65", SES_ROUTE("configuration_set = \"" LONG64
	    "x\""), MS_CONFIG, ":3: configuration_set = " },
	{ "relay confset with a newline", "relay \"s\" { type = \"ses\" "
	    "region = \"eu-west-1\"\n configuration_set = \"a\\nX-Evil: 1\" }"
	    "\n", MS_CONFIG, ":2: configuration_set = " },
	{ "sqs", "relay \"q\" { type = \"sqs\" queue_url = "
	    "\"https://sqs.eu-west-1.amazonaws.com/1/m\" s3_bucket = \"b-1\" }\n"
	    "pull \"p\" { queue_url = \"https://sqs.eu-west-1.amazonaws.com/1/m\""
	    " visibility_timeout = 30 }\n", MS_OK, NULL },
	{ "sqs by name", "relay \"q\" { type = \"sqs\" queue = \"m\" "
	    "region = \"eu-west-1\" }\n", MS_OK, NULL },
	{ "sqs without queue", "relay \"q\" { type = \"sqs\" }\n", MS_CONFIG,
	    "needs either queue_url or queue" },
	{ "sqs both", "relay \"q\" { type = \"sqs\" queue = \"m\" region = "
	    "\"r\" queue_url = \"https://x/1/m\" }\n", MS_CONFIG,
	    "needs either queue_url or queue" },
	{ "sqs name without region", "relay \"q\" { type = \"sqs\" queue = "
	    "\"m\" }\n", MS_CONFIG, "needs a region" },
	{ "sqs odd bucket", "relay \"q\" { type = \"sqs\" queue = \"m\" "
	    "region = \"r\" s3_bucket = \"a b\" }\n", MS_CONFIG,
	    "s3_bucket and s3_prefix" },
	{ "sqs prefix climbing", "relay \"q\" { type = \"sqs\" queue = \"m\" "
	    "region = \"r\" s3_bucket = \"b\" s3_prefix = \"../x/\" }\n",
	    MS_CONFIG, "s3_bucket and s3_prefix" },
	{ "pull without queue", "\npull \"p\" { region = \"r\" }\n", MS_CONFIG,
	    ":2: pull \"p\" needs a queue_url" },
	{ "pull negative", "pull \"p\" { queue_url = \"u\" "
	    "visibility_timeout = -1 }\n", MS_CONFIG, "must not be negative" },
};

static void
test_cases(void)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
		char path[] = "/tmp/test_conf_XXXXXX";
		int fd = mkstemp(path);
		struct ms_conf conf;
		struct ms_err err = { "" };
		enum ms_status st;
		size_t len = strlen(cases[i].text);

		CHECK(fd >= 0 && write(fd, cases[i].text, len) == (ssize_t)len,
		    "temp file");
		close(fd);
		st = conf_load(&conf, path, true, &err);
		unlink(path);
		CHECK(st == cases[i].want, "%s: status %d (%s)", cases[i].name,
		    st, err.msg);
		if (st == MS_OK)
			conf_free(&conf);
		if (cases[i].want_msg != NULL)
			CHECK(strstr(err.msg, cases[i].want_msg) != NULL,
			    "%s: message \"%s\" lacks \"%s\"", cases[i].name,
			    err.msg, cases[i].want_msg);
		if (st != MS_OK)
			CHECK(strstr(err.msg, path) != NULL || strstr(err.msg,
			    "/tmp/test_conf_") != NULL, "%s: file not named "
			    "in \"%s\"", cases[i].name, err.msg);
		CHECK(strchr(err.msg, '\n') == NULL, "%s: multi-line message",
		    cases[i].name);
	}
}

static void
test_defaults(void)
{
	struct ms_conf conf;
	struct ms_err err;

	CHECK(conf_load(&conf, "/nonexistent/mailshim.conf", true, &err) ==
	    MS_CONFIG, "missing explicit file accepted");
	/* A missing default file gives the built-in capture setup. */
	CHECK(conf_load(&conf, "/nonexistent/mailshim.conf", false, &err) ==
	    MS_OK, "%s", err.msg);
	CHECK(conf.nrelays == 1 && conf.relays[0].type == RELAY_MAILDIR,
	    "built-in capture relay");
	CHECK(conf.nroutes == 1 && conf.routes[0].nsenders == 0,
	    "built-in default route");
	CHECK(conf.retry_first == 300 && conf.retry_max == 67 * 60 &&
	    conf.give_up == 5 * 86400, "retry defaults");
	CHECK(conf.hostname != NULL && conf.domain != NULL, "host defaults");
	conf_free(&conf);
}

int
main(void)
{
	test_cases();
	test_defaults();
	return tap_done();
}
