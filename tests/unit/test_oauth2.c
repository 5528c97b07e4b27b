/*
 * test_oauth2.c - table tests for the pieces of relay/oauth2*.c that need
 *                 no peer: base64url (RFC 7515 appendix C and RFC 4648
 *                 test vectors, translated), which token URLs are taken
 *                 (https anywhere, http only on a loopback host, never a
 *                 name that merely starts like one), and oauth2_new's
 *                 source checks. The grants themselves are tested against
 *                 tests/servers/oauth_server.py (smtp_oauth2.sh).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "oauth2.h"

static int failures;

static void
check(bool ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failures++;
}

static void
test_b64url(void)
{
	/* RFC 7515 appendix C: these octets encode as "A-z_4ME". */
	static const unsigned char jws[] = { 3, 236, 255, 224, 193 };
	/* RFC 4648 section 10 vectors, padding dropped. */
	static const struct {
		const char *in, *want;
	} v[] = { { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" } };
	char out[64];

	oauth2_b64url(out, jws, sizeof(jws));
	check(strcmp(out, "A-z_4ME") == 0, "b64url: RFC 7515 appendix C");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char what[64];

		oauth2_b64url(
		    out, (const unsigned char *)v[i].in, strlen(v[i].in));
		snprintf(what, sizeof(what), "b64url: \"%s\"", v[i].in);
		check(strcmp(out, v[i].want) == 0, what);
	}
	/* {"alg":"RS256","typ":"JWT"}, as every RS256 JWT starts */
	oauth2_b64url(out,
	    (const unsigned char *)"{\"alg\":\"RS256\",\"typ\":\"JWT\"}", 27);
	check(strcmp(out, "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9") == 0,
	    "b64url: the RS256 JWT header");
}

static void
test_urls(void)
{
	static const struct {
		const char *url;
		enum ms_status want;
	} v[] = {
		{ "https://login.microsoftonline.com/t/oauth2/v2.0/token",
		    MS_OK },
		{ "https://oauth2.googleapis.com/token", MS_OK },
		{ "http://127.0.0.1:8080/token", MS_OK },
		{ "http://127.45.6.7/token", MS_OK },
		{ "http://localhost:8080/token", MS_OK },
		{ "http://[::1]:8080/token", MS_OK },
		{ "http://login.microsoftonline.com/token", MS_CONFIG },
		{ "http://127.0.0.1.example.com/token", MS_CONFIG },
		{ "http://127.evil.example/token", MS_CONFIG },
		{ "http://localhost.example.com/token", MS_CONFIG },
		{ "http://[::2]/token", MS_CONFIG },
		{ "http://10.0.0.1/token", MS_CONFIG },
		{ "ftp://127.0.0.1/token", MS_CONFIG },
		{ "file:///etc/passwd", MS_CONFIG },
		{ "not a url", MS_CONFIG },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ms_err err = { "" };
		char what[160];

		snprintf(what, sizeof(what), "token URL %s: %s", v[i].url,
		    v[i].want == MS_OK ? "taken" : "refused");
		check(oauth2_url_check(v[i].url, &err) == v[i].want, what);
	}
}

static void
test_sources(void)
{
	static const struct {
		const char *what;
		struct oauth2_params p;
		enum ms_status want;
		const char *msg;
	} v[] = {
		{ "no source", { .name = "r" }, MS_CONFIG, "exactly one" },
		{ "client credentials",
		    { .name = "r",
			.token_url = "https://login.example/token",
			.client_id = "id",
			.client_secret = "s",
			.scope = "x/.default" },
		    MS_OK, "" },
		{ "client credentials without scope",
		    { .name = "r",
			.token_url = "https://login.example/token",
			.client_id = "id",
			.client_secret = "s" },
		    MS_CONFIG, "needs oauth2_token_url, client_id" },
		{ "client credentials over http elsewhere",
		    { .name = "r",
			.token_url = "http://login.example/token",
			.client_id = "id",
			.client_secret = "s",
			.scope = "x" },
		    MS_CONFIG, "must be https" },
		{ "two sources",
		    { .name = "r",
			.token_spec = "file:/t",
			.sa_key = "{}",
			.scope = "x" },
		    MS_CONFIG, "exactly one" },
		{ "service account without scope",
		    { .name = "r", .sa_key = "{}" }, MS_CONFIG,
		    "needs a scope" },
		{ "token file", { .name = "r", .token_spec = "file:/t" }, MS_OK,
		    "" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ms_err err = { "" };
		struct oauth2 *o = NULL;
		enum ms_status st = oauth2_new(&o, &v[i].p, &err);

		check(st == v[i].want && strstr(err.msg, v[i].msg) != NULL,
		    v[i].what);
		if (st != v[i].want || strstr(err.msg, v[i].msg) == NULL)
			printf("#   got %d \"%s\"\n", (int)st, err.msg);
		oauth2_free(o);
	}
}

int
main(void)
{
	test_b64url();
	test_urls();
	test_sources();
	if (failures != 0)
		printf("%d failed\n", failures);
	return failures != 0;
}
