/*
 * ses_password.c - SES SMTP password derivation (domain.md 2.1):
 *
 *   k1 = HMAC("AWS4" + secret, "11111111")
 *   k2 = HMAC(k1, region)   k3 = HMAC(k2, "ses")
 *   k4 = HMAC(k3, "aws4_request")   k5 = HMAC(k4, "SendRawEmail")
 *   password = base64(0x04 || k5)
 *
 * API:    ses_password_derive() (ses_password.h).
 * Trust:  never logs; wipes the secret-derived buffers before returning.
 * Errors: MS_SOFTWARE when OpenSSL refuses (it should not), MS_TEMP when
 *         memory runs out.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ses_password.h"

#define SES_PW_VERSION 0x04

static int
hmac_step(const unsigned char *key, size_t keylen, const char *msg,
    unsigned char out[32])
{
	unsigned int outlen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
		strlen(msg), out, &outlen) == NULL ||
	    outlen != 32)
		return -1;
	return 0;
}

enum ms_status
ses_password_derive(const char *secret, size_t secretlen, const char *region,
    char out[SES_PASSWORD_LEN + 1], unsigned char keys[5][32],
    struct ms_err *err)
{
	static const char *const fixed[] = { "11111111", NULL, "ses",
		"aws4_request", "SendRawEmail" };
	enum ms_status st = MS_OK;
	unsigned char k[5][32];
	unsigned char raw[33];
	unsigned char *k0 = NULL;
	size_t k0len = secretlen + 4;

	if (secretlen > 4096)
		return ms_err_set(err, MS_DATA, "secret key is too long");
	k0 = malloc(k0len);
	if (k0 == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	memcpy(k0, "AWS4", 4);
	if (secretlen > 0)
		memcpy(k0 + 4, secret, secretlen);

	for (int i = 0; i < 5; i++) {
		const unsigned char *key = i == 0 ? k0 : k[i - 1];
		size_t keylen = i == 0 ? k0len : 32;
		const char *msg = i == 1 ? region : fixed[i];

		if (hmac_step(key, keylen, msg, k[i]) != 0) {
			st = ms_err_set(err, MS_SOFTWARE,
			    "HMAC-SHA256 failed "
			    "while deriving the SES SMTP password");
			goto out;
		}
	}
	raw[0] = SES_PW_VERSION;
	memcpy(raw + 1, k[4], 32);
	if (EVP_EncodeBlock((unsigned char *)out, raw, 33) !=
	    SES_PASSWORD_LEN) {
		st = ms_err_set(err, MS_SOFTWARE, "base64 encoding failed");
		goto out;
	}
	if (keys != NULL)
		memcpy(keys, k, sizeof(k));
out:
	if (st != MS_OK)
		OPENSSL_cleanse(out, SES_PASSWORD_LEN + 1);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(k0, k0len);
	free(k0);
	return st;
}
