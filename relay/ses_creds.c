/*
 * ses_creds.c - parse an ses relay's credentials secret (format in
 *               ses_creds.h) into an SMTP user name and password.
 *
 * API:    ses_creds_parse(), ses_key_is_temporary(), ses_creds_wipe().
 * Trust:  the text is a secret: values are copied into the result only,
 *         never into an error; scratch buffers are wiped.
 * Errors: MS_CONFIG with the reason; MS_SOFTWARE if derivation fails.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "ses_creds.h"
#include "ses_password.h"

enum { K_SMTP_USER, K_SMTP_PASS, K_KEY_ID, K_SECRET, K_TOKEN, K_COUNT };

static const char *const key_names[K_COUNT] = {
	"smtp_username",
	"smtp_password",
	"aws_access_key_id",
	"aws_secret_access_key",
	"aws_session_token",
};

int
ses_key_is_temporary(const char *key_id)
{
	return strncmp(key_id, "ASIA", 4) == 0;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 &&
	    ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' ||
		(*s)[*n - 1] == '\r'))
		(*n)--;
	/* Optional quotes around a value. */
	if (*n >= 2 &&
	    (((*s)[0] == '"' && (*s)[*n - 1] == '"') ||
		((*s)[0] == '\'' && (*s)[*n - 1] == '\''))) {
		(*s)++;
		*n -= 2;
	}
}

enum ms_status
ses_creds_parse(const char *text, size_t len, const char *region,
    struct ses_creds *out, struct ms_err *err)
{
	const char *val[K_COUNT] = { NULL };
	size_t vlen[K_COUNT] = { 0 };
	const char *p = text, *end = text + len;
	enum ms_status st = MS_OK;
	char secret[256];
	int line = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		const char *k = p, *eq, *v;
		size_t kn, vn;

		line++;
		p = nl != NULL ? nl + 1 : end;
		kn = (size_t)(eol - k);
		trim(&k, &kn);
		if (kn == 0 || k[0] == '#' || k[0] == ';' || k[0] == '[')
			continue;
		eq = memchr(k, '=', kn);
		if (eq == NULL)
			return ms_err_set(err, MS_CONFIG,
			    "credentials line %d "
			    "is not \"key = value\"",
			    line);
		v = eq + 1;
		vn = (size_t)(k + kn - v);
		kn = (size_t)(eq - k);
		trim(&k, &kn);
		trim(&v, &vn);
		for (int i = 0; i < K_COUNT; i++)
			if (strlen(key_names[i]) == kn &&
			    strncasecmp(k, key_names[i], kn) == 0 &&
			    val[i] == NULL) {
				val[i] = v;
				vlen[i] = vn;
			}
	}

	if (val[K_SMTP_USER] != NULL || val[K_SMTP_PASS] != NULL) {
		if (val[K_SMTP_USER] == NULL || val[K_SMTP_PASS] == NULL ||
		    vlen[K_SMTP_USER] == 0 || vlen[K_SMTP_PASS] == 0)
			return ms_err_set(err, MS_CONFIG,
			    "credentials need both "
			    "smtp_username and smtp_password");
		if (vlen[K_SMTP_USER] >= sizeof(out->username) ||
		    vlen[K_SMTP_PASS] >= sizeof(out->password))
			return ms_err_set(err, MS_CONFIG,
			    "credentials: "
			    "smtp_username or smtp_password is too long");
		memcpy(out->username, val[K_SMTP_USER], vlen[K_SMTP_USER]);
		memcpy(out->password, val[K_SMTP_PASS], vlen[K_SMTP_PASS]);
	} else if (val[K_KEY_ID] != NULL || val[K_SECRET] != NULL) {
		if (val[K_KEY_ID] == NULL || val[K_SECRET] == NULL ||
		    vlen[K_KEY_ID] == 0 || vlen[K_SECRET] == 0)
			return ms_err_set(err, MS_CONFIG,
			    "credentials need both "
			    "aws_access_key_id and aws_secret_access_key");
		if (vlen[K_KEY_ID] >= sizeof(out->username) ||
		    vlen[K_SECRET] >= sizeof(secret))
			return ms_err_set(err, MS_CONFIG,
			    "credentials: key id "
			    "or secret key is too long");
		memcpy(out->username, val[K_KEY_ID], vlen[K_KEY_ID]);
		memcpy(secret, val[K_SECRET], vlen[K_SECRET]);
		secret[vlen[K_SECRET]] = '\0';
		if (val[K_TOKEN] == NULL &&
		    !ses_key_is_temporary(out->username))
			st = ses_password_derive(secret, vlen[K_SECRET], region,
			    out->password, NULL, err);
		OPENSSL_cleanse(secret, sizeof(secret));
		if (st != MS_OK)
			goto fail;
	} else {
		return ms_err_set(err, MS_CONFIG,
		    "credentials hold neither "
		    "smtp_username/smtp_password nor aws_access_key_id/"
		    "aws_secret_access_key");
	}
	if (ses_key_is_temporary(out->username) || val[K_TOKEN] != NULL) {
		st = ms_err_set(err, MS_CONFIG,
		    "credentials are temporary AWS "
		    "keys (ASIA... or a session token); SES SMTP needs a "
		    "long-term IAM user key (or use transport = \"api\")");
		goto fail;
	}
	return MS_OK;
fail:
	ses_creds_wipe(out);
	return st;
}

void
ses_creds_wipe(struct ses_creds *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}
