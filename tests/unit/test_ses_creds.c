/*
 * test_ses_creds.c - the credentials secret of an ses relay.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ses_check.h"
#include "ses_creds.h"

static const struct {
	const char *name, *text, *region;
	enum ms_status want_status;
	const char *want_user, *want_pass; /* or a piece of the error */
} cases[] = {
	{ "smtp pair", "smtp_username = AKIAEXAMPLE\nsmtp_password = Bxyz\n",
	    "eu-west-1", MS_OK, "AKIAEXAMPLE", "Bxyz" },
	{ "iam key eu-west-1",
	    "# comment\naws_access_key_id=AKIAEXAMPLE\n"
	    "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
	    "eu-west-1", MS_OK, "AKIAEXAMPLE",
	    "BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk" },
	{ "iam key us-east-1 profile",
	    "[default]\r\naws_access_key_id = "
	    "AKIAEXAMPLE\r\naws_secret_access_key = \"wJalrXUtnFEMI/K7MDENG/"
	    "bPxRfiCYEXAMPLEKEY\"\r\n",
	    "us-east-1", MS_OK, "AKIAEXAMPLE",
	    "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9" },
	{ "no newline at end", "smtp_username=A\nsmtp_password=B", "eu-west-1",
	    MS_OK, "A", "B" },
	{ "temporary key",
	    "aws_access_key_id=ASIAEXAMPLE\n"
	    "aws_secret_access_key=s3cr3tvalue\n",
	    "eu-west-1", MS_CONFIG, "temporary", NULL },
	{ "session token",
	    "aws_access_key_id=AKIAEXAMPLE\n"
	    "aws_secret_access_key=s3cr3tvalue\naws_session_token=tok\n",
	    "eu-west-1", MS_CONFIG, "temporary", NULL },
	{ "half pair", "smtp_username=A\n", "eu-west-1", MS_CONFIG,
	    "both smtp_username and smtp_password", NULL },
	{ "half key", "aws_secret_access_key=s3cr3tvalue\n", "eu-west-1",
	    MS_CONFIG, "both aws_access_key_id", NULL },
	{ "empty", "", "eu-west-1", MS_CONFIG, "neither", NULL },
	{ "not key=value", "s3cr3tvalue\n", "eu-west-1", MS_CONFIG, "line 1",
	    NULL },
};

int
main(void)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
		struct ses_creds c;
		struct ms_err err;
		enum ms_status st;

		err.msg[0] = '\0';
		st = ses_creds_parse(cases[i].text, strlen(cases[i].text),
		    cases[i].region, &c, &err);
		CHECK(cases[i].name, st == cases[i].want_status);
		if (st == MS_OK && cases[i].want_status == MS_OK) {
			CHECK_STR(
			    cases[i].name, c.username, cases[i].want_user);
			CHECK_STR(
			    cases[i].name, c.password, cases[i].want_pass);
		} else {
			CHECK(cases[i].name,
			    strstr(err.msg, cases[i].want_user) != NULL);
			/* No secret in the error. */
			CHECK(cases[i].name, strstr(err.msg, "s3cr3t") == NULL);
			CHECK(cases[i].name, c.password[0] == '\0');
		}
		ses_creds_wipe(&c);
	}
	return CHECK_DONE();
}
