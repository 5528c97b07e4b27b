/*
 * test_ses_region.c - region list, SMTP host names and the defaults an
 *                     ses relay derives from its conf.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ses_check.h"
#include "ses_region.h"

static const struct {
	const char *region;
	bool fips;
	enum ms_status want_status;
	const char *want; /* host, or a piece of the error */
} hosts[] = {
	{ "eu-west-1", false, MS_OK, "email-smtp.eu-west-1.amazonaws.com" },
	{ "ap-northeast-1", false, MS_OK,
	    "email-smtp.ap-northeast-1.amazonaws.com" },
	{ "us-east-1", true, MS_OK, "email-smtp-fips.us-east-1.amazonaws.com" },
	{ "us-gov-west-1", true, MS_OK,
	    "email-smtp-fips.us-gov-west-1.amazonaws.com" },
	{ "eusc-de-east-1", false, MS_OK,
	    "email-smtp.eusc-de-east-1.amazonaws.eu" },
	{ "xx-new-9", false, MS_OK, "email-smtp.xx-new-9.amazonaws.com" },
	{ "cn-north-1", false, MS_CONFIG,
	    "SES is not available in China (cn-north-1); route this mail "
	    "through an smtp relay" },
	{ "cn-northwest-1", false, MS_CONFIG, "not available in China" },
	{ "EU-WEST-1", false, MS_CONFIG, "not an AWS region" },
	{ "eu-west-1.evil.com", false, MS_CONFIG, "not an AWS region" },
	{ "", false, MS_CONFIG, "not an AWS region" },
	{ "-eu", false, MS_CONFIG, "not an AWS region" },
};

static const char *const known[] = { "us-east-1", "ca-west-1", "eu-south-1",
	"ap-southeast-5", "il-central-1", "us-gov-east-1", "eusc-de-east-1" };

struct settings_case {
	const char *name;
	const char *region, *endpoint, *tls_name;
	long port;
	enum tls_mode tls;
	long max_rcpt, max_size;
	enum ms_status want_status;
	const char *want_host, *want_tls_name;
	long want_port;
	enum tls_mode want_tls;
	long want_max_rcpt, want_max_size;
	int want_nwarn;
};

static const struct settings_case settings[] = {
	{ "defaults", "eu-west-1", NULL, NULL, 0, TLS_STARTTLS, 0, 0, MS_OK,
	    "email-smtp.eu-west-1.amazonaws.com", "", 587, TLS_STARTTLS, 50,
	    41943040, 0 },
	{ "465 implicit", "eu-west-1", NULL, NULL, 465, TLS_STARTTLS, 0, 0,
	    MS_OK, "email-smtp.eu-west-1.amazonaws.com", "", 465, TLS_IMPLICIT,
	    50, 41943040, 0 },
	{ "2465 implicit", "eu-west-1", NULL, NULL, 2465, TLS_STARTTLS, 0, 0,
	    MS_OK, "email-smtp.eu-west-1.amazonaws.com", "", 2465, TLS_IMPLICIT,
	    50, 41943040, 0 },
	{ "2587 starttls", "eu-west-1", NULL, NULL, 2587, TLS_STARTTLS, 0, 0,
	    MS_OK, "email-smtp.eu-west-1.amazonaws.com", "", 2587, TLS_STARTTLS,
	    50, 41943040, 0 },
	{ "port 25 warns", "eu-west-1", NULL, NULL, 25, TLS_STARTTLS, 0, 0,
	    MS_OK, "email-smtp.eu-west-1.amazonaws.com", "", 25, TLS_STARTTLS,
	    50, 41943040, 1 },
	{ "vpc endpoint", "eu-west-1",
	    "vpce-0123-abcd.email-smtp.eu-west-1.vpce.amazonaws.com", NULL, 0,
	    TLS_STARTTLS, 0, 0, MS_OK,
	    "vpce-0123-abcd.email-smtp.eu-west-1.vpce.amazonaws.com",
	    "email-smtp.eu-west-1.amazonaws.com", 587, TLS_STARTTLS, 50,
	    41943040, 0 },
	{ "endpoint address", "eu-west-1", "127.0.0.1", NULL, 2587,
	    TLS_STARTTLS, 0, 0, MS_OK, "127.0.0.1",
	    "email-smtp.eu-west-1.amazonaws.com", 2587, TLS_STARTTLS, 50,
	    41943040, 0 },
	{ "endpoint + tls_name", "eu-west-1", "127.0.0.1", "localhost", 0,
	    TLS_STARTTLS, 0, 0, MS_OK, "127.0.0.1", "localhost", 587,
	    TLS_STARTTLS, 50, 41943040, 0 },
	{ "endpoint with scheme", "eu-west-1", "smtp://x", NULL, 0,
	    TLS_STARTTLS, 0, 0, MS_CONFIG, NULL, NULL, 0, TLS_NONE, 0, 0, 0 },
	{ "tls none", "eu-west-1", NULL, NULL, 0, TLS_NONE, 0, 0, MS_CONFIG,
	    NULL, NULL, 0, TLS_NONE, 0, 0, 0 },
	{ "limits lowered", "eu-west-1", NULL, NULL, 0, TLS_STARTTLS, 80,
	    50000000, MS_OK, "email-smtp.eu-west-1.amazonaws.com", "", 587,
	    TLS_STARTTLS, 50, 41943040, 2 },
	{ "limits kept", "eu-west-1", NULL, NULL, 0, TLS_STARTTLS, 10, 1000,
	    MS_OK, "email-smtp.eu-west-1.amazonaws.com", "", 587, TLS_STARTTLS,
	    10, 1000, 0 },
	{ "unknown region warns", "xx-new-9", NULL, NULL, 0, TLS_STARTTLS, 0, 0,
	    MS_OK, "email-smtp.xx-new-9.amazonaws.com", "", 587, TLS_STARTTLS,
	    50, 41943040, 1 },
	{ "china", "cn-north-1", NULL, NULL, 0, TLS_STARTTLS, 0, 0, MS_CONFIG,
	    NULL, NULL, 0, TLS_NONE, 0, 0, 0 },
};

int
main(void)
{
	struct ms_err err;
	char buf[SES_HOST_MAX];

	for (size_t i = 0; i < MS_ARRAY_LEN(hosts); i++) {
		enum ms_status st;

		err.msg[0] = '\0';
		st = ses_smtp_host(
		    hosts[i].region, hosts[i].fips, buf, sizeof(buf), &err);
		CHECK(hosts[i].region, st == hosts[i].want_status);
		if (st == MS_OK && hosts[i].want_status == MS_OK)
			CHECK_STR(hosts[i].region, buf, hosts[i].want);
		else
			CHECK(hosts[i].want,
			    strstr(err.msg, hosts[i].want) != NULL);
	}
	for (size_t i = 0; i < MS_ARRAY_LEN(known); i++)
		CHECK(known[i], ses_region_known(known[i]));
	CHECK("cn-north-1 unknown", !ses_region_known("cn-north-1"));
	CHECK("ap-east-1 unknown", !ses_region_known("ap-east-1"));
	CHECK("small buffer",
	    ses_smtp_host("eu-west-1", false, buf, 10, &err) == MS_CONFIG);

	for (size_t i = 0; i < MS_ARRAY_LEN(settings); i++) {
		const struct settings_case *c = &settings[i];
		struct relay_conf rc;
		struct ses_smtp_settings s;
		enum ms_status st;

		memset(&rc, 0, sizeof(rc));
		rc.name = (char *)"x";
		rc.type = RELAY_SES;
		rc.region = (char *)c->region;
		rc.endpoint = (char *)c->endpoint;
		rc.tls_name = (char *)c->tls_name;
		rc.port = c->port;
		rc.tls = c->tls;
		rc.max_recipients = c->max_rcpt;
		rc.max_size = c->max_size;
		st = ses_smtp_settings(&rc, &s, &err);
		CHECK(c->name, st == c->want_status);
		if (st != MS_OK || c->want_status != MS_OK)
			continue;
		CHECK_STR(c->name, s.host, c->want_host);
		CHECK_STR(c->name, s.tls_name, c->want_tls_name);
		CHECK(c->name, s.port == c->want_port);
		CHECK(c->name, s.tls == c->want_tls);
		CHECK(c->name, s.max_recipients == c->want_max_rcpt);
		CHECK(c->name, s.max_size == c->want_max_size);
		CHECK(c->name, s.max_per_connection == 100);
		CHECK(c->name, s.nwarn == c->want_nwarn);
	}
	/* FIPS: the relay's switch, or AWS_USE_FIPS_ENDPOINT as the SDKs
	 * read it (domain.md 1.1: email-smtp-fips.REGION.amazonaws.com);
	 * the certificate name is the FIPS host itself. */
	{
		struct relay_conf rc;
		struct ses_smtp_settings s;

		memset(&rc, 0, sizeof(rc));
		rc.name = (char *)"x";
		rc.type = RELAY_SES;
		rc.region = (char *)"us-west-2";
		rc.tls = TLS_STARTTLS;
		rc.fips = true;
		CHECK("fips switch", ses_smtp_settings(&rc, &s, &err) == MS_OK);
		CHECK_STR("fips switch", s.host,
		    "email-smtp-fips.us-west-2.amazonaws.com");
		CHECK_STR("fips switch", s.tls_name, "");
		CHECK("fips switch: no warning", s.nwarn == 0);
		rc.fips = false;
		setenv("AWS_USE_FIPS_ENDPOINT", "TRUE", 1);
		CHECK("fips env", ses_smtp_settings(&rc, &s, &err) == MS_OK);
		CHECK_STR("fips env", s.host,
		    "email-smtp-fips.us-west-2.amazonaws.com");
		rc.region = (char *)"eu-west-1";
		CHECK("fips elsewhere",
		    ses_smtp_settings(&rc, &s, &err) == MS_OK);
		CHECK("fips elsewhere: warned", s.nwarn == 1);
		setenv("AWS_USE_FIPS_ENDPOINT", "false", 1);
		CHECK("fips off", ses_smtp_settings(&rc, &s, &err) == MS_OK);
		CHECK_STR(
		    "fips off", s.host, "email-smtp.eu-west-1.amazonaws.com");
		unsetenv("AWS_USE_FIPS_ENDPOINT");
	}
	return CHECK_DONE();
}
