/*
 * conf.c - loads mailshim.conf with libconfuse into struct ms_conf.
 *
 * API:    conf_load(), conf_free(), conf_relay_find(), conf_default_path().
 * Errors: every problem is reported as "FILE:LINE: what" with MS_CONFIG;
 *         libconfuse finds unknown keys and wrong types, the validators
 *         below the values it cannot judge, conf_link() the cross
 *         references (a route naming a relay nobody defines).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <confuse.h>

#include "conf.h"
#include "durations.h"

#ifndef MS_DEFAULT_CONF
#define MS_DEFAULT_CONF "/etc/mailshim/mailshim.conf"
#endif
#ifndef MS_DEFAULT_SPOOL
#define MS_DEFAULT_SPOOL "/var/spool/mailshim"
#endif
#define MS_DEFAULT_CAPTURE "/var/lib/mailshim/capture"

const char *
conf_default_path(void)
{
	return MS_DEFAULT_CONF;
}

/* Collects libconfuse's complaint as "FILE:LINE: text" (first one wins). */
static char conf_errbuf[sizeof(((struct ms_err *)0)->msg)];

static void
conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	char text[512];

	if (conf_errbuf[0] != '\0')
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (cfg != NULL && cfg->filename != NULL)
		snprintf(conf_errbuf, sizeof(conf_errbuf), "%s:%d: %s",
		    cfg->filename, cfg->line, text);
	else
		snprintf(conf_errbuf, sizeof(conf_errbuf), "%s", text);
}

static int
validate_choice(cfg_t *cfg, cfg_opt_t *opt, const char *const *choices)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	for (size_t i = 0; choices[i] != NULL; i++)
		if (strcmp(v, choices[i]) == 0)
			return 0;
	cfg_error(
	    cfg, "%s = \"%s\" is not one of the allowed values", opt->name, v);
	return -1;
}

static int
validate_relay_type(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const types[] = { "maildir", "smtp", "ses", "sqs",
		NULL };

	return validate_choice(cfg, opt, types);
}

static int
validate_tls(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const modes[] = { "none", "starttls", "tls", NULL };

	return validate_choice(cfg, opt, modes);
}

static int
validate_transport(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const modes[] = { "smtp", "api", NULL };

	return validate_choice(cfg, opt, modes);
}

static int
validate_ses_headers(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const modes[] = { "strip", "keep", NULL };

	return validate_choice(cfg, opt, modes);
}

static int
validate_duration(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	long secs;

	if (duration_parse(v, &secs) != 0) {
		cfg_error(cfg,
		    "%s = \"%s\" is not a duration (like 300, "
		    "5m, 1h, 5d)",
		    opt->name, v);
		return -1;
	}
	return 0;
}

static int
validate_rate(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	char *end;
	double d;

	if (strcmp(v, "auto") == 0)
		return 0;
	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || d < 0) {
		cfg_error(cfg,
		    "rate = \"%s\" is neither a number of recipients "
		    "per second nor \"auto\"",
		    v);
		return -1;
	}
	return 0;
}

static int
validate_positive(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, cfg_opt_size(opt) - 1);

	if (v < 0) {
		cfg_error(cfg, "%s = %ld must not be negative", opt->name, v);
		return -1;
	}
	return 0;
}

/* SES's own rules (API reference, MessageTag and ConfigurationSet):
 * tag names and values are 1-256 characters, configuration set names
 * 1-64, all of them only ASCII letters, digits, '_' and '-'. The two
 * documented fine-grained feedback tags (ses:feedback-id-a and -b) are
 * the only names with another character. Checked here so that a typo is
 * a config error, not a dead letter for every message of the route. */
#define SES_TAG_MAX	256
#define SES_CONFSET_MAX 64

static bool
ses_word(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int
validate_tags(cfg_t *cfg, cfg_opt_t *opt)
{
	for (unsigned i = 0; i < cfg_opt_size(opt); i++) {
		const char *t = cfg_opt_getnstr(opt, i);
		const char *eq = strchr(t, '=');
		size_t nlen = eq != NULL ? (size_t)(eq - t) : 0;
		bool feedback = nlen == strlen("ses:feedback-id-a") &&
		    (strncmp(t, "ses:feedback-id-a", nlen) == 0 ||
			strncmp(t, "ses:feedback-id-b", nlen) == 0);

		if (eq == NULL ||
		    (!feedback && !ses_word(t, nlen, SES_TAG_MAX)) ||
		    !ses_word(eq + 1, strlen(eq + 1), SES_TAG_MAX)) {
			char q[100];

			ms_quote(q, sizeof(q), t, strlen(t));
			cfg_error(cfg,
			    "tags: \"%s\" is not NAME=VALUE where both "
			    "are 1-%d of A-Z a-z 0-9 _ - (SES refuses "
			    "anything else)",
			    q, SES_TAG_MAX);
			return -1;
		}
	}
	return 0;
}

static int
validate_confset(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (v != NULL && !ses_word(v, strlen(v), SES_CONFSET_MAX)) {
		char q[100];

		ms_quote(q, sizeof(q), v, strlen(v));
		cfg_error(cfg,
		    "configuration_set = \"%s\": SES accepts only 1-%d "
		    "of A-Z a-z 0-9 _ -",
		    q, SES_CONFSET_MAX);
		return -1;
	}
	return 0;
}

static cfg_opt_t relay_opts[] = { CFG_STR("type", NULL, CFGF_NODEFAULT),
	CFG_STR("path", NULL, CFGF_NONE), CFG_STR("host", NULL, CFGF_NONE),
	CFG_INT("port", 0, CFGF_NONE), CFG_STR("tls", NULL, CFGF_NONE),
	CFG_BOOL("tls_verify", cfg_true, CFGF_NONE),
	CFG_STR("ca_file", NULL, CFGF_NONE),
	CFG_STR("tls_name", NULL, CFGF_NONE),
	CFG_STR("tls_cert", NULL, CFGF_NONE),
	CFG_STR("tls_key", NULL, CFGF_NONE),
	CFG_STR("username", NULL, CFGF_NONE),
	CFG_STR("password", NULL, CFGF_NONE), CFG_STR("helo", NULL, CFGF_NONE),
	CFG_STR("from_parameter", NULL, CFGF_NONE),
	CFG_STR_LIST("parameter_keys", NULL, CFGF_NONE),
	CFG_STR("auth", NULL, CFGF_NONE),
	CFG_STR("oauth2_token_url", NULL, CFGF_NONE),
	CFG_STR("client_id", NULL, CFGF_NONE),
	CFG_STR("client_secret", NULL, CFGF_NONE),
	CFG_STR("scope", NULL, CFGF_NONE),
	CFG_STR("oauth2_service_account", NULL, CFGF_NONE),
	CFG_STR("oauth2_subject", NULL, CFGF_NONE),
	CFG_STR("oauth2_token", NULL, CFGF_NONE),
	CFG_INT("connect_timeout", 30, CFGF_NONE),
	CFG_INT("timeout", 300, CFGF_NONE), CFG_INT("max_time", 0, CFGF_NONE),
	CFG_STR("proxy", NULL, CFGF_NONE), CFG_INT("connections", 1, CFGF_NONE),
	CFG_INT("max_per_connection", 0, CFGF_NONE),
	CFG_INT("max_recipients", 0, CFGF_NONE),
	CFG_INT("max_size", 0, CFGF_NONE), CFG_STR("rate", "0", CFGF_NONE),
	CFG_BOOL("ipv6", cfg_true, CFGF_NONE),
	CFG_STR("region", NULL, CFGF_NONE),
	CFG_STR("endpoint", NULL, CFGF_NONE),
	CFG_BOOL("fips", cfg_false, CFGF_NONE),
	CFG_STR("role_arn", NULL, CFGF_NONE),
	CFG_STR("external_id", NULL, CFGF_NONE),
	CFG_STR("credentials", NULL, CFGF_NONE),
	CFG_STR("transport", "smtp", CFGF_NONE),
	CFG_STR("configuration_set", NULL, CFGF_NONE),
	CFG_STR("queue_url", NULL, CFGF_NONE),
	CFG_STR("queue", NULL, CFGF_NONE),
	CFG_STR("s3_bucket", NULL, CFGF_NONE),
	CFG_STR("s3_prefix", "mailshim/", CFGF_NONE), CFG_END() };

static cfg_opt_t route_opts[] = { CFG_STR_LIST("senders", NULL, CFGF_NONE),
	CFG_STR_LIST("relays", NULL, CFGF_NODEFAULT),
	CFG_STR("rewrite_sender", NULL, CFGF_NONE),
	CFG_BOOL("rewrite_from", cfg_false, CFGF_NONE),
	CFG_STR_LIST("tags", NULL, CFGF_NONE),
	CFG_STR("configuration_set", NULL, CFGF_NONE),
	CFG_STR_LIST("users", NULL, CFGF_NONE),
	CFG_STR("ses_headers", "strip", CFGF_NONE), CFG_END() };

static cfg_opt_t pull_opts[] = { CFG_STR("queue_url", NULL, CFGF_NODEFAULT),
	CFG_STR("region", NULL, CFGF_NONE),
	CFG_STR("endpoint", NULL, CFGF_NONE),
	CFG_STR("credentials", NULL, CFGF_NONE),
	CFG_STR("ca_file", NULL, CFGF_NONE),
	CFG_INT("visibility_timeout", 0, CFGF_NONE),
	CFG_INT("max_records", 0, CFGF_NONE), CFG_END() };

static cfg_opt_t top_opts[] = { CFG_STR("spool", MS_DEFAULT_SPOOL, CFGF_NONE),
	CFG_STR("hostname", NULL, CFGF_NONE),
	CFG_STR("domain", NULL, CFGF_NONE),
	CFG_STR("aliases", "/etc/aliases", CFGF_NONE),
	CFG_STR("catchall", NULL, CFGF_NONE),
	CFG_INT("max_message_size", 41943040, CFGF_NONE), /* SES: 40 MB */
	CFG_INT("smtpd_idle_timeout", 300, CFGF_NONE),
	CFG_STR("smtpd_users", NULL, CFGF_NONE),
	CFG_STR("retry_first", "5m", CFGF_NONE),
	CFG_STR("retry_max", "67m", CFGF_NONE),
	CFG_STR("give_up", "5d", CFGF_NONE),
	CFG_INT("give_up_attempts", 5, CFGF_NONE),
	CFG_STR("secret_ttl", "5m", CFGF_NONE),
	CFG_STR("dead_notify", NULL, CFGF_NONE),
	CFG_INT("workers", 1, CFGF_NONE),
	CFG_SEC(
	    "relay", relay_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC(
	    "route", route_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC(
	    "pull", pull_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END() };

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

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

	r->from_parameter = dup_or_null(cfg_getstr(sec, "from_parameter"));
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

static enum ms_status
relay_from_cfg(
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
	r->path = dup_or_null(cfg_getstr(sec, "path"));
	r->host = dup_or_null(cfg_getstr(sec, "host"));
	r->port = cfg_getint(sec, "port");
	r->tls = tls_from_string(cfg_getstr(sec, "tls"));
	r->tls_verify = cfg_getbool(sec, "tls_verify");
	r->ca_file = dup_or_null(cfg_getstr(sec, "ca_file"));
	r->tls_name = dup_or_null(cfg_getstr(sec, "tls_name"));
	r->tls_cert = dup_or_null(cfg_getstr(sec, "tls_cert"));
	r->tls_key = dup_or_null(cfg_getstr(sec, "tls_key"));
	r->username = dup_or_null(cfg_getstr(sec, "username"));
	r->password = dup_or_null(cfg_getstr(sec, "password"));
	r->helo = dup_or_null(cfg_getstr(sec, "helo"));
	r->auth = dup_or_null(cfg_getstr(sec, "auth"));
	r->oauth2_token_url = dup_or_null(cfg_getstr(sec, "oauth2_token_url"));
	r->client_id = dup_or_null(cfg_getstr(sec, "client_id"));
	r->client_secret = dup_or_null(cfg_getstr(sec, "client_secret"));
	r->scope = dup_or_null(cfg_getstr(sec, "scope"));
	r->oauth2_service_account =
	    dup_or_null(cfg_getstr(sec, "oauth2_service_account"));
	r->oauth2_subject = dup_or_null(cfg_getstr(sec, "oauth2_subject"));
	r->oauth2_token = dup_or_null(cfg_getstr(sec, "oauth2_token"));
	r->connect_timeout = cfg_getint(sec, "connect_timeout");
	r->timeout = cfg_getint(sec, "timeout");
	r->max_time = cfg_getint(sec, "max_time");
	r->proxy = dup_or_null(cfg_getstr(sec, "proxy"));
	r->connections = cfg_getint(sec, "connections");
	r->max_per_connection = cfg_getint(sec, "max_per_connection");
	r->max_recipients = cfg_getint(sec, "max_recipients");
	r->max_size = cfg_getint(sec, "max_size");
	r->rate = strcmp(rate, "auto") == 0 ? -1.0 : strtod(rate, NULL);
	r->ipv6 = cfg_getbool(sec, "ipv6");
	r->region = dup_or_null(cfg_getstr(sec, "region"));
	r->endpoint = dup_or_null(cfg_getstr(sec, "endpoint"));
	r->fips = cfg_getbool(sec, "fips");
	r->role_arn = dup_or_null(cfg_getstr(sec, "role_arn"));
	r->external_id = dup_or_null(cfg_getstr(sec, "external_id"));
	r->credentials = dup_or_null(cfg_getstr(sec, "credentials"));
	r->transport = strcmp(cfg_getstr(sec, "transport"), "api") == 0
	    ? SES_API
	    : SES_SMTP;
	r->configuration_set =
	    dup_or_null(cfg_getstr(sec, "configuration_set"));
	r->queue_url = dup_or_null(cfg_getstr(sec, "queue_url"));
	r->queue = dup_or_null(cfg_getstr(sec, "queue"));
	r->s3_bucket = dup_or_null(cfg_getstr(sec, "s3_bucket"));
	r->s3_prefix = dup_or_null(cfg_getstr(sec, "s3_prefix"));
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

static enum ms_status
route_from_cfg(struct ms_conf *conf, struct route_conf *rt, cfg_t *sec,
    const char *file, struct ms_err *err)
{
	rt->name = strdup(cfg_title(sec));
	rt->line = sec->line;
	rt->nsenders = (int)cfg_size(sec, "senders");
	rt->senders = calloc((size_t)rt->nsenders + 1, sizeof(char *));
	for (int i = 0; i < rt->nsenders; i++)
		rt->senders[i] = strdup(cfg_getnstr(sec, "senders", i));
	rt->nrelays = (int)cfg_size(sec, "relays");
	if (rt->nrelays == 0)
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: route \"%s\" lists "
		    "no relays",
		    file, rt->line, rt->name);
	rt->relays = calloc((size_t)rt->nrelays, sizeof(*rt->relays));
	for (int i = 0; i < rt->nrelays; i++) {
		const char *name = cfg_getnstr(sec, "relays", i);

		rt->relays[i] = conf_relay_find(conf, name);
		if (rt->relays[i] == NULL)
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: route \"%s\" "
			    "names relay \"%s\", which is not defined",
			    file, rt->line, rt->name, name);
	}
	rt->rewrite_sender = dup_or_null(cfg_getstr(sec, "rewrite_sender"));
	rt->rewrite_from = cfg_getbool(sec, "rewrite_from");
	rt->ntags = (int)cfg_size(sec, "tags");
	rt->tags = calloc((size_t)rt->ntags + 1, sizeof(char *));
	for (int i = 0; i < rt->ntags; i++)
		rt->tags[i] = strdup(cfg_getnstr(sec, "tags", i));
	rt->configuration_set =
	    dup_or_null(cfg_getstr(sec, "configuration_set"));
	rt->nusers = (int)cfg_size(sec, "users");
	rt->users = calloc((size_t)rt->nusers + 1, sizeof(char *));
	for (int i = 0; i < rt->nusers; i++) {
		const char *u = cfg_getnstr(sec, "users", i);

		if (u == NULL || u[0] == '\0' || strpbrk(u, " \t\r\n:") != NULL)
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: route \"%s\": bad user \"%.64s\" in "
			    "users (a login name or a numeric uid)",
			    file, rt->line, rt->name, u != NULL ? u : "");
		rt->users[i] = strdup(u);
	}
	rt->keep_ses_headers =
	    strcmp(cfg_getstr(sec, "ses_headers"), "keep") == 0;
	return MS_OK;
}

/* The built-in setup (no file at the default path): the same as the
 * sample config a fresh install ships, everything into a capture Maildir,
 * so nothing leaves the host before an operator configures a relay. */
static const char builtin_conf[] =
    "relay \"capture\" { type = \"maildir\" path = \"" MS_DEFAULT_CAPTURE
    "\" }\n"
    "route \"default\" { relays = {\"capture\"} }\n";

static void
default_hostname(struct ms_conf *conf)
{
	char host[HOST_NAME_MAX + 1];

	if (conf->hostname == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		conf->hostname = strdup(host);
	}
	if (conf->domain == NULL) {
		const char *dot = strchr(conf->hostname, '.');

		conf->domain = strdup(
		    dot != NULL && dot[1] != '\0' ? dot + 1 : conf->hostname);
	}
}

/* Sorts the route named "default" (or any route without senders) last:
 * it is the catch-all whatever its place in the file. */
static void
routes_default_last(struct ms_conf *conf)
{
	for (int i = 0; i < conf->nroutes - 1; i++) {
		if (conf->routes[i].nsenders == 0) {
			struct route_conf tmp = conf->routes[i];

			memmove(&conf->routes[i], &conf->routes[i + 1],
			    sizeof(tmp) * (size_t)(conf->nroutes - i - 1));
			conf->routes[conf->nroutes - 1] = tmp;
			return;
		}
	}
}

static enum ms_status
conf_fill(
    struct ms_conf *conf, cfg_t *cfg, const char *file, struct ms_err *err)
{
	enum ms_status st;

	conf->spool = strdup(cfg_getstr(cfg, "spool"));
	conf->hostname = dup_or_null(cfg_getstr(cfg, "hostname"));
	conf->domain = dup_or_null(cfg_getstr(cfg, "domain"));
	conf->aliases = dup_or_null(cfg_getstr(cfg, "aliases"));
	conf->catchall = dup_or_null(cfg_getstr(cfg, "catchall"));
	conf->max_message_size = cfg_getint(cfg, "max_message_size");
	conf->smtpd_idle_timeout = cfg_getint(cfg, "smtpd_idle_timeout");
	conf->smtpd_users = dup_or_null(cfg_getstr(cfg, "smtpd_users"));
	if (conf->smtpd_users != NULL && conf->smtpd_users[0] != '/')
		return ms_err_set(err, MS_CONFIG,
		    "%s: smtpd_users must be an absolute path", file);
	duration_parse(cfg_getstr(cfg, "retry_first"), &conf->retry_first);
	duration_parse(cfg_getstr(cfg, "retry_max"), &conf->retry_max);
	duration_parse(cfg_getstr(cfg, "give_up"), &conf->give_up);
	conf->give_up_attempts = cfg_getint(cfg, "give_up_attempts");
	duration_parse(cfg_getstr(cfg, "secret_ttl"), &conf->secret_ttl);
	conf->dead_notify = dup_or_null(cfg_getstr(cfg, "dead_notify"));
	conf->workers = cfg_getint(cfg, "workers");
	if (conf->workers < 1)
		conf->workers = 1;
	if (conf->retry_max < conf->retry_first)
		conf->retry_max = conf->retry_first;
	default_hostname(conf);

	conf->nrelays = (int)cfg_size(cfg, "relay");
	conf->relays = calloc((size_t)conf->nrelays + 1, sizeof(*conf->relays));
	for (int i = 0; i < conf->nrelays; i++) {
		st = relay_from_cfg(&conf->relays[i],
		    cfg_getnsec(cfg, "relay", (unsigned)i), file, err);
		if (st != MS_OK)
			return st;
	}
	conf->nroutes = (int)cfg_size(cfg, "route");
	conf->routes = calloc((size_t)conf->nroutes + 1, sizeof(*conf->routes));
	for (int i = 0; i < conf->nroutes; i++) {
		st = route_from_cfg(conf, &conf->routes[i],
		    cfg_getnsec(cfg, "route", (unsigned)i), file, err);
		if (st != MS_OK)
			return st;
	}
	routes_default_last(conf);
	conf->npulls = (int)cfg_size(cfg, "pull");
	conf->pulls = calloc((size_t)conf->npulls + 1, sizeof(*conf->pulls));
	for (int i = 0; i < conf->npulls; i++) {
		struct pull_conf *pc = &conf->pulls[i];
		cfg_t *sec = cfg_getnsec(cfg, "pull", (unsigned)i);

		pc->name = strdup(cfg_title(sec));
		pc->line = sec->line;
		pc->queue_url = dup_or_null(cfg_getstr(sec, "queue_url"));
		pc->region = dup_or_null(cfg_getstr(sec, "region"));
		pc->endpoint = dup_or_null(cfg_getstr(sec, "endpoint"));
		pc->credentials = dup_or_null(cfg_getstr(sec, "credentials"));
		pc->ca_file = dup_or_null(cfg_getstr(sec, "ca_file"));
		pc->visibility_timeout = cfg_getint(sec, "visibility_timeout");
		pc->max_records = cfg_getint(sec, "max_records");
		if (pc->queue_url == NULL)
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: pull \"%s\" needs a queue_url", file,
			    pc->line, pc->name);
	}
	return MS_OK;
}

static void
set_validators(cfg_t *cfg)
{
	cfg_set_validate_func(cfg, "relay|type", validate_relay_type);
	cfg_set_validate_func(cfg, "relay|tls", validate_tls);
	cfg_set_validate_func(cfg, "relay|transport", validate_transport);
	cfg_set_validate_func(cfg, "relay|rate", validate_rate);
	cfg_set_validate_func(cfg, "relay|port", validate_positive);
	cfg_set_validate_func(cfg, "relay|connections", validate_positive);
	cfg_set_validate_func(cfg, "relay|max_recipients", validate_positive);
	cfg_set_validate_func(cfg, "relay|max_size", validate_positive);
	cfg_set_validate_func(cfg, "relay|configuration_set", validate_confset);
	cfg_set_validate_func(cfg, "route|configuration_set", validate_confset);
	cfg_set_validate_func(cfg, "route|tags", validate_tags);
	cfg_set_validate_func(cfg, "route|ses_headers", validate_ses_headers);
	cfg_set_validate_func(cfg, "max_message_size", validate_positive);
	cfg_set_validate_func(cfg, "smtpd_idle_timeout", validate_positive);
	cfg_set_validate_func(
	    cfg, "pull|visibility_timeout", validate_positive);
	cfg_set_validate_func(cfg, "pull|max_records", validate_positive);
	cfg_set_validate_func(cfg, "retry_first", validate_duration);
	cfg_set_validate_func(cfg, "retry_max", validate_duration);
	cfg_set_validate_func(cfg, "give_up", validate_duration);
	cfg_set_validate_func(cfg, "give_up_attempts", validate_positive);
	cfg_set_validate_func(cfg, "secret_ttl", validate_duration);
}

enum ms_status
conf_load(struct ms_conf *conf, const char *path, bool explicit_path,
    struct ms_err *err)
{
	cfg_t *cfg;
	int rc;
	enum ms_status st;

	memset(conf, 0, sizeof(*conf));
	if (path == NULL)
		path = conf_default_path();
	cfg = cfg_init(top_opts, CFGF_NONE);
	if (cfg == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	cfg_set_error_function(cfg, conf_errfunc);
	set_validators(cfg);
	conf_errbuf[0] = '\0';

	if (access(path, F_OK) != 0 && errno == ENOENT && !explicit_path) {
		rc = cfg_parse_buf(cfg, builtin_conf);
		path = "(built-in)";
	} else {
		conf->path = strdup(path);
		rc = cfg_parse(cfg, path);
	}
	if (rc == CFG_FILE_ERROR) {
		st = ms_err_set(err, MS_CONFIG, "cannot read %s: %s", path,
		    strerror(errno));
	} else if (rc != CFG_SUCCESS) {
		st = ms_err_set(err, MS_CONFIG, "%s",
		    conf_errbuf[0] != '\0' ? conf_errbuf
					   : "configuration is invalid");
	} else {
		st = conf_fill(conf, cfg, path, err);
	}
	cfg_free(cfg);
	if (st != MS_OK)
		conf_free(conf);
	return st;
}

struct relay_conf *
conf_relay_find(const struct ms_conf *conf, const char *name)
{
	for (int i = 0; i < conf->nrelays; i++)
		if (strcmp(conf->relays[i].name, name) == 0)
			return &conf->relays[i];
	return NULL;
}

static void
free_strv(char **v, int n)
{
	for (int i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static void
relay_free(struct relay_conf *r)
{
	char **fields[] = { &r->name, &r->path, &r->host, &r->ca_file,
		&r->tls_name, &r->tls_cert, &r->tls_key, &r->username,
		&r->password, &r->helo, &r->proxy, &r->auth,
		&r->oauth2_token_url, &r->client_id, &r->client_secret,
		&r->scope, &r->oauth2_service_account, &r->oauth2_subject,
		&r->oauth2_token, &r->region, &r->endpoint, &r->credentials,
		&r->role_arn, &r->external_id, &r->configuration_set,
		&r->queue_url, &r->queue, &r->s3_bucket, &r->s3_prefix,
		&r->from_parameter, &r->parameter_keys[0],
		&r->parameter_keys[1], &r->parameter_keys[2],
		&r->parameter_keys[3] };

	for (size_t i = 0; i < MS_ARRAY_LEN(fields); i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
}

void
conf_free(struct ms_conf *conf)
{
	for (int i = 0; conf->relays != NULL && i < conf->nrelays; i++)
		relay_free(&conf->relays[i]);
	for (int i = 0; conf->routes != NULL && i < conf->nroutes; i++) {
		struct route_conf *rt = &conf->routes[i];

		free(rt->name);
		free_strv(rt->senders, rt->nsenders);
		free(rt->relays);
		free(rt->rewrite_sender);
		free_strv(rt->tags, rt->ntags);
		free(rt->configuration_set);
		free_strv(rt->users, rt->nusers);
	}
	for (int i = 0; conf->pulls != NULL && i < conf->npulls; i++) {
		struct pull_conf *pc = &conf->pulls[i];

		free(pc->name);
		free(pc->queue_url);
		free(pc->region);
		free(pc->endpoint);
		free(pc->credentials);
		free(pc->ca_file);
	}
	free(conf->pulls);
	free(conf->relays);
	free(conf->routes);
	free(conf->path);
	free(conf->spool);
	free(conf->hostname);
	free(conf->domain);
	free(conf->aliases);
	free(conf->smtpd_users);
	free(conf->catchall);
	free(conf->dead_notify);
	memset(conf, 0, sizeof(*conf));
}
