/*
 * conf.c - loads mailshim.conf with libconfuse into struct ms_conf, and
 *          frees it.
 *
 * API:    conf_load(), conf_free(), conf_relay_find(), conf_default_path().
 * Errors: every problem is reported as "FILE:LINE: what" with MS_CONFIG;
 *         libconfuse finds unknown keys and wrong types (the tables in
 *         conf_schema.c), the validators (conf_validate.c) the values it
 *         cannot judge, conf_fill.c and conf_relay.c what needs the whole
 *         section and the cross references (a route naming a relay nobody
 *         defines).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <confuse.h>

#include "conf_priv.h"

#ifndef MS_DEFAULT_CONF
#define MS_DEFAULT_CONF "/etc/mailshim/mailshim.conf"
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

/* The built-in setup (no file at the default path): the same as the
 * sample config a fresh install ships, everything into a capture Maildir,
 * so nothing leaves the host before an operator configures a relay. */
static const char builtin_conf[] =
    "relay \"capture\" { type = \"maildir\" path = \"" MS_DEFAULT_CAPTURE
    "\" }\n"
    "route \"default\" { relays = {\"capture\"} }\n";

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
	cfg = cfg_init(conf_top_opts, CFGF_NONE);
	if (cfg == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	cfg_set_error_function(cfg, conf_errfunc);
	conf_validators_set(cfg);
	conf_errbuf[0] = '\0';

	if (access(path, F_OK) != 0 && errno == ENOENT && !explicit_path) {
		rc = cfg_parse_buf(cfg, builtin_conf);
		path = "(built-in)";
	} else if ((conf->path = strdup(path)) == NULL) {
		cfg_free(cfg);
		return conf_oom(path, err);
	} else {
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
