/*
 * test_ses_password.c - SES SMTP password derivation against every vector
 *                       of domain.md 2.2, and the intermediate keys.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ses_check.h"
#include "ses_password.h"

#define EX "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static const struct {
	const char *name, *secret, *region, *want;
} vectors[] = {
	{ "us-east-1", EX, "us-east-1",
	    "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9" },
	{ "eu-west-1", EX, "eu-west-1",
	    "BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk" },
	{ "ap-northeast-1", EX, "ap-northeast-1",
	    "BEBMrlH2tcrvRtSfkd6WbOlpfHSCPAV60ZayJ9ZqHS5c" },
	{ "us-west-2", EX, "us-west-2",
	    "BF2PynzbSCAjX08zhZZnP/kW+T9P5zs/1Er0pi5vTEmd" },
	{ "us-east-2", EX, "us-east-2",
	    "BMPPgbAHoFVbze1Ud0oA5uNdXRwUXUZ+qOwphGJbl/cS" },
	{ "eu-west-3", EX, "eu-west-3",
	    "BDDdpSTzbzUY3SJq/n4Oq7heDuCWbOtogMi5S3AR673+" },
	{ "eu-north-1", EX, "eu-north-1",
	    "BPfy85A/4ChxYc0s4mIG5bpIlvRl5AP1uupODe8KaHpf" },
	{ "eu-central-1", EX, "eu-central-1",
	    "BF0/eIJm0ruTHsSjOkRuOGzGF+zeSyE3aiRzrzUQ8LwG" },
	{ "ap-southeast-2", EX, "ap-southeast-2",
	    "BLNVIwl1Vk66qi8YP1q44PSaqUtaoyrS/0LT79VaGBfa" },
	{ "ca-central-1", EX, "ca-central-1",
	    "BAasSsnWzpnb1x/UOD58KEOQvGKrh4RNYWJDqqq9/dFC" },
	{ "us-gov-west-1", EX, "us-gov-west-1",
	    "BHW/eHvx1MM9YwW4wrJG6MGVQmLDCAM99G9YiSdGEIAw" },
	{ "second key us-west-2", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
	    "us-west-2", "BMN0Tf+URL3KI0kE3sSs5PPHldO70fSqottk998jVeyL" },
	{ "abc us-east-1", "abc", "us-east-1",
	    "BGM9VJOdwIA8639fMUbmPcODw4+T1WyRJOIpFSGp+1Fq" },
	{ "empty us-east-1", "", "us-east-1",
	    "BOW79JVhDT89FyiFKOdz7GgFSn54m/kvJC9qQ6Zd5iK0" },
};

static const char *const want_keys[5] = {
	"5e88ec44617a177b45690a3e5fcf20c17099739a24aef34200b96801db651ecc",
	"c95c7aa304a661ec5d63ccbc0777908509ea72b822e93ee199375cddf812cecf",
	"d1f402dbfb2b8c87077bb6317e9826e0fd295adf7ab615598398b6ed0f3cb2a4",
	"c8b82257b805c29d363837fe9832fe15a41a1f1ec65823dac54486d4774f5315",
	"b04cffd8525042dfabc1b0fab53561c06390ec466e14f65c6efadf154b1962fd",
};

int
main(void)
{
	unsigned char keys[5][32];
	char pw[SES_PASSWORD_LEN + 1], hex[65], name[64];
	struct ms_err err;

	for (size_t i = 0; i < MS_ARRAY_LEN(vectors); i++) {
		enum ms_status st;

		memset(pw, 'x', sizeof(pw));
		st = ses_password_derive(vectors[i].secret,
		    strlen(vectors[i].secret), vectors[i].region, pw, NULL,
		    &err);
		CHECK(vectors[i].name, st == MS_OK);
		CHECK_STR(vectors[i].name, pw, vectors[i].want);
		CHECK("starts with B", pw[0] == 'B');
	}

	/* The secret need not be NUL-terminated: only secretlen counts. */
	CHECK("length-bounded secret",
	    ses_password_derive(
		EX "TRAILING", 40, "us-east-1", pw, NULL, &err) == MS_OK);
	CHECK_STR("length-bounded secret", pw, vectors[0].want);

	CHECK("keys",
	    ses_password_derive(EX, strlen(EX), "us-east-1", pw, keys, &err) ==
		MS_OK);
	for (int k = 0; k < 5; k++) {
		for (int j = 0; j < 32; j++)
			snprintf(hex + 2 * j, 3, "%02x", keys[k][j]);
		snprintf(name, sizeof(name), "intermediate key k%d", k + 1);
		CHECK_STR(name, hex, want_keys[k]);
	}
	return CHECK_DONE();
}
