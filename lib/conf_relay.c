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
	bool oom = false;

	r->from_parameter =
	    ms_strdup_opt(cfg_getstr(sec, "from_parameter"), &oom);
	for (int k = 0; k < CONF_TICKET_NKEYS; k++)
		r->parameter_keys[k] = ms_strdup_opt(ticket_defaults[k], &oom);
	if (oom)
		return conf_oom(file, err);
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
		if ((r->parameter_keys[k] = strdup(eq + 1)) == NULL)
			return conf_oom(file, err);
	}
	return MS_OK;
}

enum ms_status
conf_relay_from_cfg(
    struct relay_conf *r, cfg_t *sec, const char *file, struct ms_err *err)
{
	const char *type = cfg_getstr(sec, "type");
	const char *rate = cfg_getstr(sec, "rate");
	enum ms_status st;
	bool oom = false;

	if ((r->name = strdup(cfg_title(sec))) == NULL)
		return conf_oom(file, err);
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
	r->path = ms_strdup_opt(cfg_getstr(sec, "path"), &oom);
	r->host = ms_strdup_opt(cfg_getstr(sec, "host"), &oom);
	r->port = cfg_getint(sec, "port");
	r->tls = tls_from_string(cfg_getstr(sec, "tls"));
	r->tls_verify = cfg_getbool(sec, "tls_verify");
	r->ca_file = ms_strdup_opt(cfg_getstr(sec, "ca_file"), &oom);
	r->tls_name = ms_strdup_opt(cfg_getstr(sec, "tls_name"), &oom);
	r->tls_cert = ms_strdup_opt(cfg_getstr(sec, "tls_cert"), &oom);
	r->tls_key = ms_strdup_opt(cfg_getstr(sec, "tls_key"), &oom);
	r->username = ms_strdup_opt(cfg_getstr(sec, "username"), &oom);
	r->password = ms_strdup_opt(cfg_getstr(sec, "password"), &oom);
	r->helo = ms_strdup_opt(cfg_getstr(sec, "helo"), &oom);
	r->auth = ms_strdup_opt(cfg_getstr(sec, "auth"), &oom);
	r->oauth2_token_url =
	    ms_strdup_opt(cfg_getstr(sec, "oauth2_token_url"), &oom);
	r->client_id = ms_strdup_opt(cfg_getstr(sec, "client_id"), &oom);
	r->client_secret =
	    ms_strdup_opt(cfg_getstr(sec, "client_secret"), &oom);
	r->scope = ms_strdup_opt(cfg_getstr(sec, "scope"), &oom);
	r->oauth2_service_account =
	    ms_strdup_opt(cfg_getstr(sec, "oauth2_service_account"), &oom);
	r->oauth2_subject =
	    ms_strdup_opt(cfg_getstr(sec, "oauth2_subject"), &oom);
	r->oauth2_token = ms_strdup_opt(cfg_getstr(sec, "oauth2_token"), &oom);
	r->connect_timeout = cfg_getint(sec, "connect_timeout");
	r->timeout = cfg_getint(sec, "timeout");
	r->max_time = cfg_getint(sec, "max_time");
	r->proxy = ms_strdup_opt(cfg_getstr(sec, "proxy"), &oom);
	r->connections = cfg_getint(sec, "connections");
	r->max_per_connection = cfg_getint(sec, "max_per_connection");
	r->max_recipients = cfg_getint(sec, "max_recipients");
	r->max_size = cfg_getint(sec, "max_size");
	r->rate = strcmp(rate, "auto") == 0 ? -1.0 : strtod(rate, NULL);
	r->ipv6 = cfg_getbool(sec, "ipv6");
	r->region = ms_strdup_opt(cfg_getstr(sec, "region"), &oom);
	r->endpoint = ms_strdup_opt(cfg_getstr(sec, "endpoint"), &oom);
	r->fips = cfg_getbool(sec, "fips");
	r->role_arn = ms_strdup_opt(cfg_getstr(sec, "role_arn"), &oom);
	r->external_id = ms_strdup_opt(cfg_getstr(sec, "external_id"), &oom);
	r->credentials = ms_strdup_opt(cfg_getstr(sec, "credentials"), &oom);
	r->transport = strcmp(cfg_getstr(sec, "transport"), "api") == 0
	    ? SES_API
	    : SES_SMTP;
	r->configuration_set =
	    ms_strdup_opt(cfg_getstr(sec, "configuration_set"), &oom);
	r->queue_url = ms_strdup_opt(cfg_getstr(sec, "queue_url"), &oom);
	r->queue = ms_strdup_opt(cfg_getstr(sec, "queue"), &oom);
	r->s3_bucket = ms_strdup_opt(cfg_getstr(sec, "s3_bucket"), &oom);
	r->s3_prefix = ms_strdup_opt(cfg_getstr(sec, "s3_prefix"), &oom);
	if (oom)
		return conf_oom(file, err);
	if (r->connections < 1)
		r->connections = 1;
	if ((st = ticket_from_cfg(r, sec, file, err)) != MS_OK)
		return st;

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
