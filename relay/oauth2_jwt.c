/*
 * oauth2_jwt.c - the JWT a Google service account signs to ask for an
 *                access token (RFC 7523; Google's "Using OAuth 2.0 for
 *                Server to Server Applications"): header {"alg":"RS256",
 *                "typ":"JWT"}, claims iss, scope, aud, iat, exp (one hour
 *                at most), sub (the mailbox, domain-wide delegation),
 *                signed RSASSA-PKCS1-v1_5 SHA-256 with the key's
 *                private_key.
 *
 * API:    oauth2_jwt(), oauth2_b64url().  Documented in oauth2.h.
 * Trust:  the key JSON comes from a secret source; the private key is
 *         parsed from memory and freed with the context; the buffers
 *         that held it are wiped. Nothing of it reaches an error.
 * Errors: MS_CONFIG for a key file that is not a service-account key
 *         with an RSA private key; MS_TEMP for memory and OpenSSL
 *         failures.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "oauth2.h"

#define JWT_LIFETIME 3600 /* Google's maximum */

size_t
oauth2_b64url(char *out, const unsigned char *in, size_t n)
{
	size_t len = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);

	while (len > 0 && out[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	out[len] = '\0';
	return len;
}

/* Appends base64url(in) to buf at *pos; buf has room (sized by caller). */
static void
append_b64(char *buf, size_t *pos, const void *in, size_t n)
{
	*pos += oauth2_b64url(buf + *pos, in, n);
}

static size_t
b64_room(size_t n)
{
	return 4 * ((n + 2) / 3) + 1;
}

/* Signs data with pkey (RS256); *sig is malloc'd. */
static enum ms_status
sign_rs256(EVP_PKEY *pkey, const char *data, size_t n, unsigned char **sig,
    size_t *siglen, struct ms_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	enum ms_status st = MS_OK;

	*sig = NULL;
	if (ctx == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, siglen, (const unsigned char *)data, n) !=
		1) {
		st = ms_err_set(err, MS_TEMP, "cannot sign the JWT (OpenSSL)");
		goto out;
	}
	*sig = malloc(*siglen);
	if (*sig == NULL) {
		st = ms_err_set(err, MS_TEMP, "out of memory");
		goto out;
	}
	if (EVP_DigestSign(ctx, *sig, siglen, (const unsigned char *)data, n) !=
	    1) {
		free(*sig);
		*sig = NULL;
		st = ms_err_set(err, MS_TEMP, "cannot sign the JWT (OpenSSL)");
	}
out:
	EVP_MD_CTX_free(ctx);
	return st;
}

static const char *
str_field(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) && *json_string_value(v) != '\0'
	    ? json_string_value(v)
	    : NULL;
}

enum ms_status
oauth2_jwt(const char *sa_json, const char *scope, const char *subject,
    const char *aud, time_t now, char **jwt, char **token_uri,
    struct ms_err *err)
{
	json_t *key = NULL, *claims = NULL;
	json_error_t jerr;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *claims_s = NULL, *buf = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0, pos = 0, room;
	const char *email, *pem, *uri, *type;
	static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	enum ms_status st = MS_OK;

	*jwt = NULL;
	*token_uri = NULL;
	key = json_loads(sa_json, 0, &jerr);
	if (key == NULL || !json_is_object(key)) {
		st = ms_err_set(err, MS_CONFIG,
		    "service-account key is not a JSON object (line %d)",
		    jerr.line);
		goto out;
	}
	type = str_field(key, "type");
	email = str_field(key, "client_email");
	pem = str_field(key, "private_key");
	uri = str_field(key, "token_uri");
	if (type == NULL || strcmp(type, "service_account") != 0 ||
	    email == NULL || pem == NULL || (uri == NULL && aud == NULL)) {
		st = ms_err_set(err, MS_CONFIG,
		    "not a service-account key (want \"type\": "
		    "\"service_account\", client_email, private_key, "
		    "token_uri)");
		goto out;
	}
	bio = BIO_new_mem_buf(pem, -1);
	if (bio == NULL) {
		st = ms_err_set(err, MS_TEMP, "out of memory");
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (pkey == NULL || EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA) {
		st = ms_err_set(err, MS_CONFIG,
		    "service-account key: private_key is not an "
		    "unencrypted RSA key in PEM");
		goto out;
	}
	if (aud == NULL)
		aud = uri;
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", email, "scope",
	    scope, "aud", aud, "iat", (json_int_t)now, "exp",
	    (json_int_t)now + JWT_LIFETIME);
	if (claims == NULL ||
	    (subject != NULL &&
		json_object_set_new(claims, "sub", json_string(subject)) !=
		    0) ||
	    (claims_s = json_dumps(claims, JSON_COMPACT)) == NULL) {
		st = ms_err_set(err, MS_TEMP, "out of memory");
		goto out;
	}
	room = b64_room(sizeof(header)) + b64_room(strlen(claims_s)) +
	    b64_room(1024) + 4;
	buf = malloc(room);
	if (buf == NULL) {
		st = ms_err_set(err, MS_TEMP, "out of memory");
		goto out;
	}
	append_b64(buf, &pos, header, sizeof(header) - 1);
	buf[pos++] = '.';
	append_b64(buf, &pos, claims_s, strlen(claims_s));
	st = sign_rs256(pkey, buf, pos, &sig, &siglen, err);
	if (st != MS_OK)
		goto out;
	if (siglen > 1024) {
		st = ms_err_set(err, MS_CONFIG,
		    "service-account key: RSA key larger than 8192 bits");
		goto out;
	}
	buf[pos++] = '.';
	append_b64(buf, &pos, sig, siglen);
	*token_uri = strdup(uri != NULL ? uri : aud);
	if (*token_uri == NULL) {
		st = ms_err_set(err, MS_TEMP, "out of memory");
		goto out;
	}
	*jwt = buf;
	buf = NULL;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, room);
		free(buf);
	}
	free(sig);
	free(claims_s);
	json_decref(claims);
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	json_decref(key); /* jansson frees without wiping: see oauth2.c */
	return st;
}
