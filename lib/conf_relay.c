/*
 * conf_relay.c - turns one parsed `relay "NAME" { ... }` section into a
 *                struct relay_conf: every key, the type's defaults (smtp
 *                ports), the from_parameter ticket's key names, and the
 *                checks that need the whole section (a type's required
 *                keys, secrets named rather than held, keys that go
 *                together).
 *
 * API:    conf_relay_from_cfg() (conf_priv.h), conf_ticket_fields
 *         (conf.h).
 * Trust:  values come from the config file, which holds no secrets: keys
 *         that stand for one (password, tls_key, client_secret, ...)
 *         must name where it is (file:, env:, ...), never hold it.
 * Errors: MS_CONFIG with "FILE:LINE: relay \"NAME\" ..."; the section's
 *         strings filled so far stay in r for conf_free().
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <confuse.h>

#include "conf_priv.h"

static enum tls_mode
tls_from_string(const char *s)
{
	if (s == NULL || strcmp(s, "starttls") == 0)
		return TLS_STARTTLS;
	return strcmp(s, "tls") == 0 ? TLS_IMPLICIT : TLS_NONE;
}

/* Field names of a from_parameter ticket (the `parameter_keys` left
 * side) and the ticket's key names by default (the MailDelivery layout:
 * {"Host", "Port", "User", "Pass"}). */
const char *const conf_ticket_fields[CONF_TICKET_NKEYS] = { "host", "port",
	"user", "pass" };
static const char *const ticket_defaults[CONF_TICKET_NKEYS] = { "Host", "Port",
	"User", "Pass" };

/* from_parameter and parameter_keys = {"host=Server", ...}. */
static enum ms_status
ticket_from_cfg(
    struct relay_conf *r, cfg_t *sec, const char *file, struct ms_err *err)
{
	unsigned n = cfg_size(sec, "parameter_keys");

	r->from_parameter = conf_dup_or_null(cfg_getstr(sec, "from_parameter"));
	for (int k = 0; k < CONF_TICKET_NKEYS; k++)
		r->parameter_keys[k] = strdup(ticket_defaults[k]);
	if (r->from_parameter == NULL && n > 0)
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: relay \"%s\": parameter_keys without "
		    "from_parameter",
		    file, r->line, r->name);
	if (r->from_parameter == NULL)
		return MS_OK;
	if (r->type != RELAY_SMTP)
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: relay \"%s\": from_parameter is for smtp relays",
		    file, r->line, r->name);
	if (strchr(r->from_parameter, ':') == NULL ||
	    strchr(r->from_parameter, '#') != NULL)
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: relay \"%s\": from_parameter must name where the "
		    "whole JSON ticket is (ssm:/PATH, secretsmanager:NAME, "
		    "file:/path or env:NAME; no #key)",
		    file, r->line, r->name);
	if (r->auth != NULL && strcmp(r->auth, "xoauth2") == 0)
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: relay \"%s\": from_parameter gives a password; "
		    "it does not go with auth = \"xoauth2\"",
		    file, r->line, r->name);
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_getnstr(sec, "parameter_keys", i);
		const char *eq = v != NULL ? strchr(v, '=') : NULL;
		int k;

		for (k = 0; eq != NULL && k < CONF_TICKET_NKEYS; k++)
			if (strlen(conf_ticket_fields[k]) == (size_t)(eq - v) &&
			    strncmp(v, conf_ticket_fields[k],
				(size_t)(eq - v)) == 0)
				break;
		if (eq == NULL || k == CONF_TICKET_NKEYS || eq[1] == '\0' ||
		    strlen(eq + 1) > 128)
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: relay \"%s\": parameter_keys entries look "
			    "like \"host=Server\" (host, port, user or pass = "
			    "the ticket's key name), not \"%.64s\"",
			    file, r->line, r->name, v != NULL ? v : "");
		free(r->parameter_keys[k]);
		r->parameter_keys[k] = strdup(eq + 1);
	}
	return MS_OK;
}

enum ms_status
conf_relay_from_cfg(
    struct relay_conf *r, cfg_t *sec, const char *file, struct ms_err *err)
{
	const char *type = cfg_getstr(sec, "type");
	const char *rate = cfg_getstr(sec, "rate");

	r->name = strdup(cfg_title(sec));
	r->line = sec->line;
	if (type == NULL)
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: relay \"%s\" has no "
		    "type (maildir, smtp, ses or sqs)",
		    file, r->line, r->name);
	r->type = strcmp(type, "maildir") == 0 ? RELAY_MAILDIR
	    : strcmp(type, "smtp") == 0	       ? RELAY_SMTP
	    : strcmp(type, "sqs") == 0	       ? RELAY_SQS
					       : RELAY_SES;
	r->path = conf_dup_or_null(cfg_getstr(sec, "path"));
	r->host = conf_dup_or_null(cfg_getstr(sec, "host"));
	r->port = cfg_getint(sec, "port");
	r->tls = tls_from_string(cfg_getstr(sec, "tls"));
	r->tls_verify = cfg_getbool(sec, "tls_verify");
	r->ca_file = conf_dup_or_null(cfg_getstr(sec, "ca_file"));
	r->tls_name = conf_dup_or_null(cfg_getstr(sec, "tls_name"));
	r->tls_cert = conf_dup_or_null(cfg_getstr(sec, "tls_cert"));
	r->tls_key = conf_dup_or_null(cfg_getstr(sec, "tls_key"));
	r->username = conf_dup_or_null(cfg_getstr(sec, "username"));
	r->password = conf_dup_or_null(cfg_getstr(sec, "password"));
	r->helo = conf_dup_or_null(cfg_getstr(sec, "helo"));
	r->auth = conf_dup_or_null(cfg_getstr(sec, "auth"));
	r->oauth2_token_url =
	    conf_dup_or_null(cfg_getstr(sec, "oauth2_token_url"));
	r->client_id = conf_dup_or_null(cfg_getstr(sec, "client_id"));
	r->client_secret = conf_dup_or_null(cfg_getstr(sec, "client_secret"));
	r->scope = conf_dup_or_null(cfg_getstr(sec, "scope"));
	r->oauth2_service_account =
	    conf_dup_or_null(cfg_getstr(sec, "oauth2_service_account"));
	r->oauth2_subject = conf_dup_or_null(cfg_getstr(sec, "oauth2_subject"));
	r->oauth2_token = conf_dup_or_null(cfg_getstr(sec, "oauth2_token"));
	r->connect_timeout = cfg_getint(sec, "connect_timeout");
	r->timeout = cfg_getint(sec, "timeout");
	r->max_time = cfg_getint(sec, "max_time");
	r->proxy = conf_dup_or_null(cfg_getstr(sec, "proxy"));
	r->connections = cfg_getint(sec, "connections");
	r->max_per_connection = cfg_getint(sec, "max_per_connection");
	r->max_recipients = cfg_getint(sec, "max_recipients");
	r->max_size = cfg_getint(sec, "max_size");
	r->rate = strcmp(rate, "auto") == 0 ? -1.0 : strtod(rate, NULL);
	r->ipv6 = cfg_getbool(sec, "ipv6");
	r->region = conf_dup_or_null(cfg_getstr(sec, "region"));
	r->endpoint = conf_dup_or_null(cfg_getstr(sec, "endpoint"));
	r->fips = cfg_getbool(sec, "fips");
	r->role_arn = conf_dup_or_null(cfg_getstr(sec, "role_arn"));
	r->external_id = conf_dup_or_null(cfg_getstr(sec, "external_id"));
	r->credentials = conf_dup_or_null(cfg_getstr(sec, "credentials"));
	r->transport = strcmp(cfg_getstr(sec, "transport"), "api") == 0
	    ? SES_API
	    : SES_SMTP;
	r->configuration_set =
	    conf_dup_or_null(cfg_getstr(sec, "configuration_set"));
	r->queue_url = conf_dup_or_null(cfg_getstr(sec, "queue_url"));
	r->queue = conf_dup_or_null(cfg_getstr(sec, "queue"));
	r->s3_bucket = conf_dup_or_null(cfg_getstr(sec, "s3_bucket"));
	r->s3_prefix = conf_dup_or_null(cfg_getstr(sec, "s3_prefix"));
	if (r->connections < 1)
		r->connections = 1;
	if (ticket_from_cfg(r, sec, file, err) != MS_OK)
		return MS_CONFIG;

	switch (r->type) {
	case RELAY_MAILDIR:
		if (r->path == NULL)
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: maildir relay "
			    "\"%s\" needs a path",
			    file, r->line, r->name);
		break;
	case RELAY_SMTP:
		if (r->host == NULL && r->from_parameter == NULL)
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: smtp relay "
			    "\"%s\" needs a host (or from_parameter)",
			    file, r->line, r->name);
		/* With a ticket, port 0 means: the ticket's, else the
		 * default (relay_smtp.c). */
		if (r->port == 0 && r->from_parameter == NULL)
			r->port = r->tls == TLS_IMPLICIT ? 465
			    : r->tls == TLS_STARTTLS	 ? 587
							 : 25;
		break;
	case RELAY_SES:
		if (r->region == NULL)
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: ses relay "
			    "\"%s\" needs a region",
			    file, r->line, r->name);
		break;
	case RELAY_SQS:
		if ((r->queue_url == NULL) == (r->queue == NULL))
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: sqs relay \"%s\" needs either queue_url "
			    "or queue (with region)",
			    file, r->line, r->name);
		if (r->queue != NULL && r->region == NULL)
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: sqs relay \"%s\": queue = \"%s\" needs "
			    "a region",
			    file, r->line, r->name, r->queue);
		if (!ms_s3_name_safe(r->s3_bucket, false) ||
		    !ms_s3_name_safe(r->s3_prefix, true))
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: sqs relay \"%s\": s3_bucket and s3_prefix "
			    "may hold only letters, digits and - _ . / (no "
			    "\"..\")",
			    file, r->line, r->name);
		break;
	}
	if (r->auth != NULL && strcmp(r->auth, "password") != 0 &&
	    strcmp(r->auth, "xoauth2") != 0)
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: relay \"%s\": auth must be \"password\" or "
		    "\"xoauth2\"",
		    file, r->line, r->name);
	{
		const char *secrets[] = { r->client_secret,
			r->oauth2_service_account, r->oauth2_token };

		for (size_t i = 0; i < MS_ARRAY_LEN(secrets); i++)
			if (secrets[i] != NULL &&
			    strchr(secrets[i], ':') == NULL)
				return ms_err_set(err, MS_CONFIG,
				    "%s:%d: relay \"%s\": client_secret, "
				    "oauth2_service_account and oauth2_token "
				    "name where the secret is (file:/path or "
				    "env:NAME), not hold it",
				    file, r->line, r->name);
	}
	if ((r->tls_cert == NULL) != (r->tls_key == NULL))
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: relay \"%s\": tls_cert and tls_key go "
		    "together",
		    file, r->line, r->name);
	if (r->tls_cert != NULL && r->tls_cert[0] != '/')
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: relay \"%s\": tls_cert must be an absolute "
		    "path",
		    file, r->line, r->name);
	if (r->tls_key != NULL && strchr(r->tls_key, ':') == NULL)
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: relay \"%s\": tls_key must name where the key "
		    "is (file:/path or env:NAME), not hold it",
		    file, r->line, r->name);
	if (r->password != NULL && strchr(r->password, ':') == NULL)
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: relay \"%s\": password "
		    "must name where the secret is (file:/path or env:NAME), "
		    "not hold it",
		    file, r->line, r->name);
	return MS_OK;
}
