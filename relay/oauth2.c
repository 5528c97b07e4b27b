/*
 * oauth2.c - the bearer token of an XOAUTH2 relay: where it comes from
 *            (client credentials, a service-account JWT, or a file or
 *            variable another tool keeps fresh) and the in-memory cache
 *            that keeps it until shortly before it expires.
 *
 * API:    oauth2_new(), oauth2_token(), oauth2_fetches(), oauth2_free().
 *         Documented in oauth2.h. With the spool's run/ directory
 *         (oauth2_params.runfd) the cache is shared by every process of
 *         the flusher through oauth2_share.c.
 * Trust:  holds the client secret or service-account key and the
 *         current token; all are wiped when replaced or freed. jansson
 *         copies what it parses (the key, token replies): its allocator
 *         is set, once, to one that wipes what it frees.
 * Errors: MS_CONFIG for what the operator must fix (source, URL, key,
 *         a grant the endpoint refuses); MS_TEMP for the rest.
 */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "oauth2.h"
#include "secret.h"

enum source { SRC_CLIENT, SRC_JWT, SRC_STATIC };

struct oauth2 {
	struct oauth2_params p; /* strings below are our copies */
	enum source src;
	char *name, *token_url, *client_id, *client_secret, *scope, *sa_key,
	    *subject, *token_spec, *ca_file, *proxy;
	char *token;	      /* current token or NULL */
	long long refresh_ms; /* monotonic time to fetch a new one */
	long fetches;
};

static void
wiping_free(void *p)
{
	if (p != NULL)
		OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

static void
wipe_str(char **s)
{
	if (*s != NULL) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

enum ms_status
oauth2_new(
    struct oauth2 **out, const struct oauth2_params *p, struct ms_err *err)
{
	struct oauth2 *o;
	const char *name = p->name != NULL ? p->name : "?";
	bool oom = false;
	int nsrc;
	enum ms_status st;

	*out = NULL;
	nsrc = (p->token_spec != NULL) + (p->sa_key != NULL) +
	    (p->client_id != NULL || p->client_secret != NULL);
	if (nsrc != 1)
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: xoauth2 needs exactly one token source: "
		    "oauth2_token, oauth2_service_account, or client_id with "
		    "client_secret",
		    name);
	if ((p->client_id != NULL || p->client_secret != NULL) &&
	    (p->client_id == NULL || p->client_secret == NULL ||
		p->token_url == NULL || p->scope == NULL))
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: the client-credentials grant needs "
		    "oauth2_token_url, client_id, client_secret and scope",
		    name);
	if (p->sa_key != NULL && p->scope == NULL)
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: a service account needs a scope", name);
	if (p->token_url != NULL) {
		st = oauth2_url_check(p->token_url, err);
		if (st != MS_OK) {
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err->msg);
			return ms_err_set(err, st, "relay %s: %s", name, why);
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ms_err_set(err, MS_TEMP, "cannot initialise libcurl");
	json_set_alloc_funcs(malloc, wiping_free);
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		curl_global_cleanup();
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	o->p = *p;
	o->src = p->token_spec != NULL ? SRC_STATIC
	    : p->sa_key != NULL	       ? SRC_JWT
				       : SRC_CLIENT;
	o->name = ms_strdup_opt(name, &oom);
	o->token_url = ms_strdup_opt(p->token_url, &oom);
	o->client_id = ms_strdup_opt(p->client_id, &oom);
	o->client_secret = ms_strdup_opt(p->client_secret, &oom);
	o->scope = ms_strdup_opt(p->scope, &oom);
	o->sa_key = ms_strdup_opt(p->sa_key, &oom);
	o->subject = ms_strdup_opt(p->subject, &oom);
	o->token_spec = ms_strdup_opt(p->token_spec, &oom);
	o->ca_file = ms_strdup_opt(p->ca_file, &oom);
	o->proxy = ms_strdup_opt(p->proxy, &oom);
	o->p.name = o->name;
	o->p.token_url = o->token_url;
	o->p.client_id = o->client_id;
	o->p.client_secret = NULL; /* only o->client_secret holds it */
	o->p.scope = o->scope;
	o->p.sa_key = NULL; /* only o->sa_key holds it */
	o->p.subject = o->subject;
	o->p.token_spec = o->token_spec;
	o->p.ca_file = o->ca_file;
	o->p.proxy = o->proxy;
	if (oom) {
		oauth2_free(o);
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	*out = o;
	return MS_OK;
}

/* Appends "&name=value" (value form-encoded) to buf. */
static bool
form_add(
    char *buf, size_t len, size_t *pos, const char *name, const char *value)
{
	char *e = curl_easy_escape(NULL, value, 0);
	int n;

	if (e == NULL)
		return false;
	n = snprintf(
	    buf + *pos, len - *pos, "%s%s=%s", *pos ? "&" : "", name, e);
	OPENSSL_cleanse(e, strlen(e));
	curl_free(e);
	if (n < 0 || (size_t)n >= len - *pos)
		return false;
	*pos += (size_t)n;
	return true;
}

/* Runs the grant; on MS_OK *tok and *expires_in are set. */
static enum ms_status
fetch(struct oauth2 *o, char **tok, long *expires_in, struct ms_err *err)
{
	size_t len = 2 * OAUTH2_BODY_MAX, pos = 0;
	char *body = malloc(len), *jwt = NULL, *uri = NULL;
	const char *url = o->token_url;
	enum ms_status st = MS_OK;

	if (body == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	body[0] = '\0';
	if (o->src == SRC_CLIENT) {
		/* RFC 6749 4.4.2 with the client authenticated in the body
		 * (2.3.1), as Microsoft's v2.0 endpoint documents it. */
		if (!form_add(
			body, len, &pos, "grant_type", "client_credentials") ||
		    !form_add(body, len, &pos, "client_id", o->client_id) ||
		    !form_add(
			body, len, &pos, "client_secret", o->client_secret) ||
		    !form_add(body, len, &pos, "scope", o->scope))
			st = ms_err_set(err, MS_CONFIG,
			    "client-credentials request too large");
	} else {
		st = oauth2_jwt(o->sa_key, o->scope, o->subject, o->token_url,
		    time(NULL), &jwt, &uri, err);
		if (st != MS_OK) {
			;
		} else if (!form_add(body, len, &pos, "grant_type",
			       "urn:ietf:params:oauth:grant-type:jwt-bearer") ||
		    !form_add(body, len, &pos, "assertion", jwt)) {
			st =
			    ms_err_set(err, MS_CONFIG, "JWT request too large");
		}
		if (url == NULL)
			url = uri;
	}
	if (st == MS_OK)
		st = oauth2_post(&o->p, url, body, tok, expires_in, err);
	OPENSSL_cleanse(body, len);
	free(body);
	if (jwt != NULL)
		wipe_str(&jwt);
	free(uri);
	return st;
}

static enum ms_status
fetch_cb(void *arg, char **tok, long *expires_in, struct ms_err *err)
{
	return fetch(arg, tok, expires_in, err);
}

enum ms_status
oauth2_token(
    struct oauth2 *o, bool refresh, const char **token, struct ms_err *err)
{
	long long now = ms_monotonic_ms(), refresh_at = 0;
	char *tok = NULL;
	bool fetched = false;
	enum ms_status st;

	*token = NULL;
	if (o->src == SRC_STATIC) {
		/* Another tool keeps it fresh: read it for every new
		 * connection, so a rewritten file is picked up. */
		struct secret s = { NULL, 0 };
		char why[sizeof(err->msg)];

		st = secret_load(o->token_spec, &s, err);
		if (st != MS_OK) {
			snprintf(why, sizeof(why), "%s", err->msg);
			return ms_err_set(err, st, "oauth2_token: %s", why);
		}
		if (strpbrk(s.value, "\001\r\n ") != NULL) {
			secret_free(&s);
			return ms_err_set(err, MS_CONFIG,
			    "oauth2_token holds more than one line or "
			    "spaces");
		}
		wipe_str(&o->token);
		o->token = strdup(s.value);
		secret_free(&s);
		if (o->token == NULL)
			return ms_err_set(err, MS_TEMP, "out of memory");
		o->fetches++;
		*token = o->token;
		return MS_OK;
	}
	if (!refresh && o->token != NULL && now < o->refresh_ms) {
		*token = o->token;
		return MS_OK;
	}
	/* The relay's token, shared with the other processes through
	 * run/ (or fetched here when there is no run/): a refresh names
	 * the token refused, so that it is replaced once in all. */
	st = oauth2_share_get(o->p.runfd, o->name, refresh ? o->token : NULL,
	    fetch_cb, o, &tok, &refresh_at, &fetched, err);
	if (st != MS_OK)
		return st;
	wipe_str(&o->token);
	o->token = tok;
	if (fetched)
		o->fetches++;
	refresh_at -= (long long)time(NULL);
	o->refresh_ms = now + (refresh_at > 0 ? refresh_at : 0) * 1000;
	*token = o->token;
	return MS_OK;
}

long
oauth2_fetches(const struct oauth2 *o)
{
	return o != NULL ? o->fetches : 0;
}

void
oauth2_free(struct oauth2 *o)
{
	if (o == NULL)
		return;
	wipe_str(&o->token);
	wipe_str(&o->client_secret);
	wipe_str(&o->sa_key);
	free(o->name);
	free(o->token_url);
	free(o->client_id);
	free(o->scope);
	free(o->subject);
	free(o->token_spec);
	free(o->ca_file);
	free(o->proxy);
	free(o);
	curl_global_cleanup();
}
