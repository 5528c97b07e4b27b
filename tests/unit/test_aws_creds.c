/*
 * test_aws_creds.c - ISO 8601 expiry parsing, the INI reader, explicit
 *                    file sources, env / profile sources, the caching
 *                    provider's refresh margin, endpoint selection.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws_creds.h"
#include "aws_provider.h"
#include "aws_request.h"
#include "tap.h"

/* AWS_CONTAINER_CREDENTIALS_FULL_URI: botocore (utils.py
 * ContainerMetadataFetcher._validate_allowed_url, 1.31+) accepts https,
 * and http only when urlparse()'s hostname is a loopback IP address or
 * one of 169.254.170.2, 169.254.170.23, fd00:ec2::23, localhost. */
static const struct {
	const char *url;
	bool ok;
} container_urls[] = {
	{ "http://127.0.0.1:8080/creds", true },
	{ "http://127.5.6.7/", true },
	{ "http://[::1]:80/x", true },
	{ "http://localhost/x", true },
	{ "http://169.254.170.2/v2/credentials/abc", true },
	{ "http://169.254.170.23/v1/credentials", true },
	{ "http://[fd00:ec2::23]/v1/credentials", true },
	{ "https://creds.example.com/x", true },
	{ "http://127.0.0.1@attacker.example/", false },
	{ "http://user:pw@attacker.example/", false },
	{ "http://127.0.0.1.attacker.example/", false },
	{ "http://attacker.example/127.0.0.1", false },
	{ "http://attacker.example#@127.0.0.1/", false },
	{ "http://169.254.170.2.attacker.example/", false },
	{ "http://localhost.attacker.example/", false },
	{ "http://169.254.169.254/latest/", false },
	{ "http://[fd00:ec2::254]/", false },
	{ "http://10.0.0.1/", false },
	{ "ftp://127.0.0.1/", false },
	{ "127.0.0.1/creds", false },
	{ "", false },
};

static const struct {
	const char *in;
	bool ok;
	long long want;
} iso_cases[] = {
	{ "1970-01-01T00:00:00Z", true, 0 },
	{ "2026-11-23T14:05:10Z", true, 1795442710LL },
	{ "2026-11-23T14:05:10.123Z", true, 1795442710LL },
	{ "2026-11-23T15:05:10+01:00", true, 1795442710LL },
	{ "2026-11-23T13:05:10-0100", true, 1795442710LL },
	{ "2024-02-29T00:00:00Z", true, 1709164800LL },
	{ "2026-02-30T00:00:00Z", false, 0 },
	{ "2026-11-23 14:05:10", false, 0 },
	{ "2026-11-23T14:05Z", false, 0 },
	{ "2026-13-01T00:00:00Z", false, 0 },
	{ "2026-11-23T14:05:10Zjunk", false, 0 },
	{ "", false, 0 },
};

static const char ini[] = "# comment\n"
			  "[default]\n"
			  "aws_access_key_id = AKIDDEFAULT\n"
			  "aws_secret_access_key=secret/default+key\n"
			  "\n"
			  "[ prod ]\n"
			  "; another comment\n"
			  "aws_access_key_id=AKIDPROD   \r\n"
			  "region = eu-west-1\n"
			  "[profile prod]\n"
			  "aws_access_key_id = AKIDCONFIG\n"
			  "[broken\n"
			  "aws_access_key_id = AKIDBROKEN\n";

static const struct {
	const char *name, *section, *key;
	int want;
	const char *value;
} ini_cases[] = {
	{ "default id", "default", "aws_access_key_id", 1, "AKIDDEFAULT" },
	{ "no spaces", "default", "aws_secret_access_key", 1,
	    "secret/default+key" },
	{ "trimmed section and CRLF", "prod", "aws_access_key_id", 1,
	    "AKIDPROD" },
	{ "config profile", "profile prod", "aws_access_key_id", 1,
	    "AKIDCONFIG" },
	{ "missing key", "prod", "aws_secret_access_key", 0, "" },
	{ "missing section", "dev", "aws_access_key_id", 0, "" },
	{ "broken header closes section", "profile prod", "region", 0, "" },
	{ "no section: keys before any header", NULL, "aws_access_key_id", 0,
	    "" },
};

static const struct {
	const char *name, *text;
	enum ms_status want;
	const char *id, *token;
} file_cases[] = {
	{ "key = value",
	    "aws_access_key_id = AKID1\n"
	    "aws_secret_access_key = s1\n",
	    MS_OK, "AKID1", NULL },
	{ "with token and section",
	    "[default]\naws_access_key_id=AKID2\n"
	    "aws_secret_access_key=s2\naws_session_token=T2\n",
	    MS_OK, "AKID2", "T2" },
	{ "two lines", "# the mailshim key\nAKID3\nsecret:with:colons\n", MS_OK,
	    "AKID3", NULL },
	{ "one line", "AKID4\n", MS_CONFIG, NULL, NULL },
	{ "three lines", "a\nb\nc\n", MS_CONFIG, NULL, NULL },
	{ "id only", "aws_access_key_id = AKID5\n", MS_CONFIG, NULL, NULL },
};

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(99);
	}
}

int
main(void)
{
	char dir[] = "/tmp/test_aws_creds.XXXXXX", path[256], src[300];
	char out[64];
	struct aws_creds c;
	struct ms_err err;
	struct aws_creds_provider *p;
	const struct aws_creds *pc;
	enum ms_status st;

	for (size_t i = 0; i < MS_ARRAY_LEN(iso_cases); i++) {
		long long t = -1;
		bool ok = aws_time_parse_iso8601(iso_cases[i].in, &t);

		CHECK(ok == iso_cases[i].ok && (!ok || t == iso_cases[i].want),
		    "iso8601 %s: ok %d t %lld", iso_cases[i].in, ok, t);
	}
	for (size_t i = 0; i < MS_ARRAY_LEN(ini_cases); i++) {
		int r = aws_ini_lookup(ini, strlen(ini), ini_cases[i].section,
		    ini_cases[i].key, out, sizeof(out));

		CHECK(r == ini_cases[i].want &&
			(r != 1 || strcmp(out, ini_cases[i].value) == 0),
		    "ini %s: %d %s", ini_cases[i].name, r, r == 1 ? out : "");
	}
	CHECK(aws_ini_lookup(ini, strlen(ini), "default", "aws_access_key_id",
		  out, 5) == -1,
	    "ini value too long");

	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(path, sizeof(path), "%s/key", dir);
	snprintf(src, sizeof(src), "file:%s", path);
	for (size_t i = 0; i < MS_ARRAY_LEN(file_cases); i++) {
		write_file(path, file_cases[i].text);
		st = aws_creds_load(src, 0, &c, &err);
		CHECK(st == file_cases[i].want, "file %s: status %d (%s)",
		    file_cases[i].name, st, err.msg);
		if (st == MS_OK) {
			CHECK(strcmp(c.key_id, file_cases[i].id) == 0 &&
				((c.token == NULL &&
				     file_cases[i].token == NULL) ||
				    (c.token && file_cases[i].token &&
					strcmp(c.token, file_cases[i].token) ==
					    0)),
			    "file %s: id %s", file_cases[i].name, c.key_id);
			/* the error text never holds the secret */
			aws_creds_free(&c);
		} else {
			CHECK(strstr(err.msg, "secret") == NULL ||
				strstr(err.msg, "aws_secret_access_key") !=
				    NULL,
			    "file %s: error text", file_cases[i].name);
		}
	}
	CHECK(aws_creds_load("file:relative", 0, &c, &err) == MS_CONFIG,
	    "relative file source refused");
	CHECK(aws_creds_load("bogus:x", 0, &c, &err) == MS_CONFIG,
	    "unknown source refused");

	/* shared files and profiles */
	snprintf(path, sizeof(path), "%s/credentials", dir);
	write_file(path,
	    "[default]\naws_access_key_id=AKIDSHARED\n"
	    "aws_secret_access_key=x\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	snprintf(path, sizeof(path), "%s/config", dir);
	write_file(path,
	    "[profile other]\naws_access_key_id=AKIDOTHER\n"
	    "aws_secret_access_key=y\naws_session_token=TOK\n"
	    "[other]\naws_access_key_id=AKIDWRONG\naws_secret_access_key=z\n");
	setenv("AWS_CONFIG_FILE", path, 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_PROFILE");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	st = aws_creds_load("chain", 0, &c, &err);
	CHECK(st == MS_OK && strcmp(c.key_id, "AKIDSHARED") == 0,
	    "chain uses the shared file: %d %s", st, err.msg);
	aws_creds_free(&c);
	st = aws_creds_load("profile:other", 0, &c, &err);
	CHECK(st == MS_OK && strcmp(c.key_id, "AKIDOTHER") == 0 && c.token,
	    "profile from config [profile other]: %d %s", st, err.msg);
	aws_creds_free(&c);
	CHECK(aws_creds_load("profile:none", 0, &c, &err) == MS_CONFIG,
	    "missing profile");
	/* environment wins over files */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SECURITY_TOKEN", "LEGACYTOK", 1);
	st = aws_creds_load(NULL, 0, &c, &err);
	CHECK(st == MS_OK && strcmp(c.key_id, "AKIDENV") == 0 && c.token &&
		strcmp(c.token, "LEGACYTOK") == 0,
	    "env first: %d", st);
	aws_creds_free(&c);
	setenv("AWS_CREDENTIAL_EXPIRATION", "not a date", 1);
	CHECK(aws_creds_load("env:", 0, &c, &err) == MS_CONFIG,
	    "bad env expiration");

	/* caching provider: far expiry cached, near expiry refreshed */
	setenv("AWS_CREDENTIAL_EXPIRATION", "2026-11-23T14:05:10Z", 1);
	CHECK(aws_creds_provider_new(&p, "env:", 0, &err) == MS_OK, "new");
	st = aws_creds_get(p, 1795442710LL - 3600, &pc, &err);
	CHECK(st == MS_OK && strcmp(pc->key_id, "AKIDENV") == 0, "get 1");
	setenv("AWS_ACCESS_KEY_ID", "AKIDROTATED", 1);
	st = aws_creds_get(p, 1795442710LL - 700, &pc, &err);
	CHECK(st == MS_OK && strcmp(pc->key_id, "AKIDENV") == 0,
	    "cached while > 10 min remain");
	st = aws_creds_get(p, 1795442710LL - 500, &pc, &err);
	CHECK(st == MS_OK && strcmp(pc->key_id, "AKIDROTATED") == 0,
	    "refreshed when < 10 min remain");
	setenv("AWS_ACCESS_KEY_ID", "AKIDAGAIN", 1);
	aws_creds_invalidate(p);
	setenv("AWS_CREDENTIAL_EXPIRATION", "2026-11-24T14:05:10Z", 1);
	st = aws_creds_get(p, 1795442710LL - 3600, &pc, &err);
	CHECK(st == MS_OK && strcmp(pc->key_id, "AKIDAGAIN") == 0,
	    "refetched after invalidate");
	aws_creds_provider_free(p);

	/* endpoints */
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_SES");
	CHECK(aws_endpoint(out, sizeof(out), NULL, "SES", "email", "eu-west-1",
		  &err) == MS_OK &&
		strcmp(out, "https://email.eu-west-1.amazonaws.com") == 0,
	    "default endpoint %s", out);
	CHECK(aws_endpoint(out, sizeof(out), NULL, "SSM", "ssm", "cn-north-1",
		  &err) == MS_OK &&
		strcmp(out, "https://ssm.cn-north-1.amazonaws.com.cn") == 0,
	    "china endpoint %s", out);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9/", 1);
	CHECK(aws_endpoint(out, sizeof(out), NULL, "SES", "email", NULL,
		  &err) == MS_OK &&
		strcmp(out, "http://127.0.0.1:9") == 0,
	    "global override %s", out);
	setenv("AWS_ENDPOINT_URL_SES", "https://ses.local:8443", 1);
	CHECK(aws_endpoint(out, sizeof(out), NULL, "SES", "email", NULL,
		  &err) == MS_OK &&
		strcmp(out, "https://ses.local:8443") == 0,
	    "service override %s", out);
	CHECK(aws_endpoint(out, sizeof(out), "vpce-1.email.example", "SES",
		  "email", NULL, &err) == MS_OK &&
		strcmp(out, "https://vpce-1.email.example") == 0,
	    "explicit host %s", out);
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_SES");
	CHECK(aws_endpoint(out, sizeof(out), NULL, "SES", "email", "EU/../x",
		  &err) == MS_CONFIG,
	    "odd region refused");

	/* partitions and FIPS: botocore's endpoints.json ({service}-fips,
	 * dnsSuffix amazonaws.eu for aws-eusc) */
	CHECK(aws_endpoint(out, sizeof(out), NULL, "SECRETS_MANAGER",
		  "secretsmanager", "eusc-de-east-1", &err) == MS_OK &&
		strcmp(out,
		    "https://secretsmanager.eusc-de-east-1.amazonaws.eu") == 0,
	    "eusc endpoint %s", out);
	setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
	CHECK(aws_endpoint(out, sizeof(out), NULL, "SESV2", "email",
		  "us-east-1", &err) == MS_OK &&
		strcmp(out, "https://email-fips.us-east-1.amazonaws.com") == 0,
	    "fips endpoint %s", out);
	CHECK(aws_endpoint(out, sizeof(out), NULL, "STS", "sts",
		  "us-gov-west-1", &err) == MS_OK &&
		strcmp(out, "https://sts-fips.us-gov-west-1.amazonaws.com") ==
		    0,
	    "fips sts %s", out);
	unsetenv("AWS_USE_FIPS_ENDPOINT");
	CHECK(aws_endpoint_fips(out, sizeof(out), NULL, "SESV2", "email",
		  "us-west-2", true, &err) == MS_OK &&
		strcmp(out, "https://email-fips.us-west-2.amazonaws.com") == 0,
	    "fips by switch %s", out);
	setenv("AWS_ENDPOINT_URL_SESV2", "https://v2.local:1", 1);
	CHECK(aws_endpoint_fips(out, sizeof(out), NULL, "SESV2", "email",
		  "us-west-2", true, &err) == MS_OK &&
		strcmp(out, "https://v2.local:1") == 0,
	    "SESV2 override wins over fips %s", out);
	unsetenv("AWS_ENDPOINT_URL_SESV2");

	for (size_t i = 0; i < MS_ARRAY_LEN(container_urls); i++)
		CHECK(aws_container_url_ok(container_urls[i].url) ==
			container_urls[i].ok,
		    "container URL %s: %s", container_urls[i].url,
		    container_urls[i].ok ? "allowed" : "refused");
	CHECK(aws_endpoint(out, sizeof(out), NULL, "STS", "sts", "cn-north-1",
		  &err) == MS_OK &&
		strcmp(out, "https://sts.cn-north-1.amazonaws.com.cn") == 0,
	    "regional STS in China %s", out);

	unlink(strchr(src, ':') + 1);
	snprintf(path, sizeof(path), "%s/credentials", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/config", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
