/*
 * ticket.c - reads an smtp relay's host, port, user and password from
 *            one JSON secret (from_parameter), the layout of the
 *            MailDelivery tickets kept under /MailDelivery/Ticket/ in
 *            SSM Parameter Store: {"Host","Port","User","Pass"}.
 *
 * API:    ticket_load(), ticket_free().  Documented in ticket.h.
 * Trust:  the whole value is a secret until parsed: it is loaded through
 *         secret.c (wiped when freed; jansson's copies are wiped by
 *         aws_json.c's allocator); errors name the relay, the source and
 *         the key, never a value, and not jansson's error text (which
 *         quotes the input near the fault), only its line.
 * Errors: MS_CONFIG for a ticket that is not a JSON object, a missing
 *         key, a key of the wrong type, a port out of range; the
 *         status of secret_load_in() when the source cannot be read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ticket.h"

void
ticket_free(struct ticket *t)
{
	if (t == NULL)
		return;
	free(t->host);
	free(t->user);
	secret_free(&t->pass);
	t->host = t->user = NULL;
	t->port = 0;
}

/* The value of the member named key, compared case-insensitively (a
 * ticket written as {"host": ...} or {"HOST": ...} still works). */
static json_t *
member(json_t *obj, const char *key)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
	{
		if (strcasecmp(k, key) == 0)
			return v;
	}
	return NULL;
}

/* Copies the string member field (index k) into *out. */
static enum ms_status
take_string(const struct relay_conf *c, json_t *obj, int k, const char *q,
    char **out, size_t *len, struct ms_err *err)
{
	const char *key = c->parameter_keys[k];
	json_t *v = member(obj, key);

	if (v == NULL)
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: from_parameter %s has no key \"%.128s\" (the "
		    "%s; keys are matched ignoring case, parameter_keys "
		    "renames them)",
		    c->name, q, key,
		    k == CONF_TICKET_HOST	? "host"
			: k == CONF_TICKET_USER ? "user name"
						: "password");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: from_parameter %s: key \"%.128s\" is not a "
		    "non-empty string",
		    c->name, q, key);
	*out = strdup(json_string_value(v));
	if (*out == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	if (len != NULL)
		*len = json_string_length(v);
	return MS_OK;
}

/* Port: optional; a JSON number or a string of digits, 1-65535. */
static enum ms_status
take_port(const struct relay_conf *c, json_t *obj, const char *q, long *out,
    struct ms_err *err)
{
	const char *key = c->parameter_keys[CONF_TICKET_PORT];
	json_t *v = member(obj, key);
	long long n = -1;

	if (v == NULL)
		return MS_OK;
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		if (*s >= '0' && *s <= '9') {
			n = strtoll(s, &end, 10);
			if (*end != '\0')
				n = -1;
		}
	}
	if (n < 1 || n > 65535)
		return ms_err_set(err, MS_CONFIG,
		    "relay %s: from_parameter %s: key \"%.128s\" is not a "
		    "port number (1-65535)",
		    c->name, q, key);
	*out = (long)n;
	return MS_OK;
}

enum ms_status
ticket_load(const struct relay_conf *c, struct ticket *t, struct ms_err *err)
{
	struct secret whole = { NULL, 0 };
	json_error_t je;
	json_t *root = NULL;
	enum ms_status st;
	char q[220], why[sizeof(err->msg)];

	memset(t, 0, sizeof(*t));
	ms_quote(q, sizeof(q), c->from_parameter, strlen(c->from_parameter));
	st = secret_load_in(c->from_parameter, c->region, &whole, err);
	if (st != MS_OK) {
		snprintf(why, sizeof(why), "%s", err->msg);
		return ms_err_set(
		    err, st, "relay %s: from_parameter: %s", c->name, why);
	}
	root = json_loadb(whole.value, whole.len, 0, &je);
	secret_free(&whole);
	if (!json_is_object(root)) {
		st = root == NULL ? ms_err_set(err, MS_CONFIG,
					"relay %s: from_parameter %s is not "
					"valid JSON (line %d)",
					c->name, q, je.line)
				  : ms_err_set(err, MS_CONFIG,
					"relay %s: from_parameter %s is not "
					"a JSON object",
					c->name, q);
		goto out;
	}
	if (c->host == NULL &&
	    (st = take_string(
		 c, root, CONF_TICKET_HOST, q, &t->host, NULL, err)) != MS_OK)
		goto out;
	if (c->port == 0 &&
	    (st = take_port(c, root, q, &t->port, err)) != MS_OK)
		goto out;
	if (c->username == NULL &&
	    (st = take_string(
		 c, root, CONF_TICKET_USER, q, &t->user, NULL, err)) != MS_OK)
		goto out;
	if (c->password == NULL)
		st = take_string(c, root, CONF_TICKET_PASS, q, &t->pass.value,
		    &t->pass.len, err);
out:
	json_decref(root); /* aws_json.c's allocator wipes what it frees */
	if (st != MS_OK)
		ticket_free(t);
	return st;
}
