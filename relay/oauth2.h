/*
 * oauth2.h - OAuth 2.0 access tokens for SMTP XOAUTH2: the client
 *            credentials grant (RFC 6749 4.4, Microsoft identity platform
 *            v2.0), the JWT bearer grant of a Google service account (RFC
 *            7523), or a token another tool keeps in a file or variable.
 *
 * API:    oauth2_new(), oauth2_token(), oauth2_free(); oauth2_jwt() and
 *         oauth2_b64url() (oauth2_jwt.c); oauth2_post() (oauth2_http.c);
 *         oauth2_share_get() and oauth2_refresh_in() (oauth2_share.c).
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

#define OAUTH2_BODY_MAX	 (64 * 1024) /* token endpoint replies, bounded */
#define OAUTH2_TOKEN_MAX 8192	     /* longest access token we take */

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
	int runfd; /* the spool's run/ directory, where the token is shared
		      with the other processes of the flusher (see
		      oauth2_share.c); -1: kept in this process only */
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
 * server refused the cached one). With a run/ directory the token is
 * the relay's shared one (oauth2_share_get): a refresh replaces the
 * refused token once, whichever process asks first. MS_OK; MS_CONFIG when the
 * endpoint refuses the grant (400/401: wrong secret, scope, key, subject) or
 * the token source is unusable; MS_TEMP for the network, 5xx, memory. */
enum ms_status oauth2_token(
    struct oauth2 *o, bool refresh, const char **token, struct ms_err *err);

/* Number of tokens obtained so far (tests, logs). */
long oauth2_fetches(const struct oauth2 *o);

/* Wipes and frees; o may be NULL. */
void oauth2_free(struct oauth2 *o);

/* oauth2_share.c: seconds after a token that lives expires_in seconds
 * (0: not said; taken as 300) is replaced: a minute before it expires,
 * or a quarter of a short lifetime. */
long oauth2_refresh_in(long expires_in);

/* Runs one grant: *token malloc'd (the caller wipes it). */
typedef enum ms_status (*oauth2_fetch_fn)(
    void *arg, char **token, long *expires_in, struct ms_err *err);

/* The relay's shared token (run/oauth2-RELAY, format in oauth2_share.c):
 * under an flock on run/oauth2-RELAY.lock, the file's token when it is
 * ours, well formed, not due and not the one the server refused
 * (refused: the token just refused, or NULL); otherwise fetch() is
 * called (once, by the first process to take the lock) and the file
 * replaced. *token is malloc'd (the caller wipes it), *refresh_at the
 * unix time to stop using it, *fetched set when fetch() ran. A file
 * that cannot be trusted is logged and replaced; runfd < 0 or a run/
 * that cannot be locked just fetches. Returns fetch()'s status. */
enum ms_status oauth2_share_get(int runfd, const char *relay,
    const char *refused, oauth2_fetch_fn fetch, void *arg, char **token,
    long long *refresh_at, bool *fetched, struct ms_err *err);

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
