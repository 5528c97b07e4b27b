/*
 * oauth2.h - OAuth 2.0 access tokens for SMTP XOAUTH2: the client
 *            credentials grant (RFC 6749 4.4, Microsoft identity platform
 *            v2.0), the JWT bearer grant of a Google service account (RFC
 *            7523), or a token another tool keeps in a file or variable.
 *
 * API:    oauth2_new(), oauth2_token(), oauth2_free(); oauth2_jwt() and
 *         oauth2_b64url() (oauth2_jwt.c); oauth2_post() (oauth2_http.c).
 * Trust:  client secrets, service-account keys and tokens are secrets:
 *         copied once, wiped (OPENSSL_cleanse) when freed, never put in
 *         an error, a log line or a format string. Token URLs must be
 *         https (certificate verified like the relay's, with its ca_file)
 *         unless the host is loopback.
 * Errors: see each function.
 */
#ifndef MS_OAUTH2_H
#define MS_OAUTH2_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ms.h"

#define OAUTH2_BODY_MAX (64 * 1024) /* token endpoint replies, bounded */

struct oauth2_params {
	const char *name;	   /* relay name, for errors */
	const char *token_url;	   /* client credentials (required), or an
				      override of the key's token_uri */
	const char *client_id;	   /* client credentials */
	const char *client_secret; /* resolved secret (copied, wiped) */
	const char *scope;	   /* space-separated scopes */
	const char *sa_key;	   /* resolved secret: service-account JSON */
	const char *subject;	   /* JWT sub: the mailbox to send as */
	const char *token_spec;	   /* oauth2_token: secret source re-read
				      for every new token (file:, env:) */
	const char *ca_file;	   /* extra trusted CA for the endpoint */
	const char *proxy;	   /* the relay's proxy, or NULL */
	long connect_timeout;	   /* seconds, 0: libcurl's default */
	long timeout;		   /* seconds for the whole request */
};

struct oauth2;

/* Checks and copies params; does not touch the network. MS_OK;
 * MS_CONFIG for a missing or contradictory source, a service-account key
 * that is not one, or a token URL that is not https (nor loopback);
 * MS_TEMP for memory. */
enum ms_status oauth2_new(
    struct oauth2 **out, const struct oauth2_params *p, struct ms_err *err);

/* *token = a bearer token valid for a while longer (owned by o, valid
 * until the next call or oauth2_free). The cached one is used until
 * shortly before its expires_in ends; refresh forces a new one (the
 * server refused the cached one). MS_OK; MS_CONFIG when the endpoint
 * refuses the grant (400/401: wrong secret, scope, key, subject) or the
 * token source is unusable; MS_TEMP for the network, 5xx, memory. */
enum ms_status oauth2_token(
    struct oauth2 *o, bool refresh, const char **token, struct ms_err *err);

/* Number of tokens obtained so far (tests, logs). */
long oauth2_fetches(const struct oauth2 *o);

/* Wipes and frees; o may be NULL. */
void oauth2_free(struct oauth2 *o);

/* oauth2_jwt.c: the signed RS256 assertion for a service-account key
 * (JSON with client_email, private_key and token_uri): claims iss, scope,
 * aud (= aud, or the key's token_uri when aud is NULL), iat = now, exp =
 * now + 3600, sub when subject is set. *jwt and *token_uri are malloc'd
 * (the caller wipes and frees *jwt). MS_OK; MS_CONFIG for a key that is
 * not a service-account key or not RSA; MS_TEMP for memory. */
enum ms_status oauth2_jwt(const char *sa_json, const char *scope,
    const char *subject, const char *aud, time_t now, char **jwt,
    char **token_uri, struct ms_err *err);

/* base64url without padding (RFC 7515 appendix C) of in[0..n) into out
 * (size at least 4 * ((n + 2) / 3) + 1). Returns the length. */
size_t oauth2_b64url(char *out, const unsigned char *in, size_t n);

/* oauth2_http.c: checks that url is https, or http on a loopback host.
 * MS_OK or MS_CONFIG. */
enum ms_status oauth2_url_check(const char *url, struct ms_err *err);

/* POSTs the form body (already encoded) to url and parses the JSON
 * reply: *token (malloc'd, caller wipes) and *expires_in (seconds, 0
 * when the reply has none). Errors name the endpoint, the HTTP status
 * and the reply's "error" and "error_description", never the body
 * sent. MS_OK, MS_CONFIG (400, 401, 403: the grant was refused), MS_TEMP
 * (network, TLS, 5xx, a reply without a bearer token). */
enum ms_status oauth2_post(const struct oauth2_params *p, const char *url,
    const char *body, char **token, long *expires_in, struct ms_err *err);

#endif
