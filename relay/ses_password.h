/*
 * ses_password.h - the Amazon SES SMTP password ("version 4") derived from
 *                  an IAM secret access key for one region.
 *
 * API:    ses_password_derive().
 * Trust:  the secret is only read; every intermediate key is wiped with
 *         OPENSSL_cleanse() before return.
 */
#ifndef MS_SES_PASSWORD_H
#define MS_SES_PASSWORD_H

#include <stddef.h>

#include "ms.h"

#define SES_PASSWORD_LEN 44 /* base64 of 33 bytes, no padding */

/* Derives the SMTP password for region from secret (secretlen bytes, need
 * not be NUL-terminated) into out[SES_PASSWORD_LEN + 1]. When keys is not
 * NULL, the five intermediate HMAC keys k1..k5 (32 bytes each) are copied
 * there (for the unit test). MS_SOFTWARE if OpenSSL fails. */
enum ms_status ses_password_derive(const char *secret, size_t secretlen,
    const char *region, char out[SES_PASSWORD_LEN + 1],
    unsigned char keys[5][32], struct ms_err *err);

#endif
