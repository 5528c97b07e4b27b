/*
 * conf_fill.c - turns libconfuse's parse tree into struct ms_conf: the
 *               top-level keys and their defaults (hostname, domain,
 *               retry policy), the relays (one by one in conf_relay.c),
 *               the routes (relay names resolved, the catch-all sorted
 *               last) and the pull sections.
 *
 * API:    conf_fill() (conf_priv.h), called by conf_load().
 * Trust:  values come from the config file; the schema and validators
 *         have checked their types and forms.
 * Errors: MS_CONFIG with "FILE:LINE: what" (a route naming an undefined
 *         relay, a pull without queue_url, ...), MS_TEMP when a copy
 *         cannot be allocated; conf keeps what was filled so far for
 *         conf_free().
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <confuse.h>

#include "conf_priv.h"
#include "durations.h"

/* The n strings of list key in sec into *v (NULL-terminated, n + 1
 * slots; *n set first, so conf_free() can free a partial list). False
 * when memory ran out. */
static bool
copy_list(cfg_t *sec, const char *key, char ***v, int *n)
{
	bool oom = false;

	*n = (int)cfg_size(sec, key);
	if ((*v = calloc((size_t)*n + 1, sizeof(char *))) == NULL)
		return false;
	for (int i = 0; i < *n; i++)
		(*v)[i] =
		    ms_strdup_opt(cfg_getnstr(sec, key, (unsigned)i), &oom);
	return !oom;
}

static enum ms_status
route_from_cfg(struct ms_conf *conf, struct route_conf *rt, cfg_t *sec,
    const char *file, struct ms_err *err)
{
	bool oom = false;

	rt->line = sec->line;
	if ((rt->name = strdup(cfg_title(sec))) == NULL ||
	    !copy_list(sec, "senders", &rt->senders, &rt->nsenders))
		return conf_oom(file, err);
	rt->nrelays = (int)cfg_size(sec, "relays");
	if (rt->nrelays == 0)
		return ms_err_set(err, MS_CONFIG,
		    "%s:%d: route \"%s\" lists "
		    "no relays",
		    file, rt->line, rt->name);
	rt->relays = calloc((size_t)rt->nrelays, sizeof(*rt->relays));
	if (rt->relays == NULL)
		return conf_oom(file, err);
	for (int i = 0; i < rt->nrelays; i++) {
		const char *name = cfg_getnstr(sec, "relays", i);

		rt->relays[i] = conf_relay_find(conf, name);
		if (rt->relays[i] == NULL)
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: route \"%s\" "
			    "names relay \"%s\", which is not defined",
			    file, rt->line, rt->name, name);
	}
	rt->rewrite_sender =
	    ms_strdup_opt(cfg_getstr(sec, "rewrite_sender"), &oom);
	rt->rewrite_from = cfg_getbool(sec, "rewrite_from");
	rt->configuration_set =
	    ms_strdup_opt(cfg_getstr(sec, "configuration_set"), &oom);
	if (oom || !copy_list(sec, "tags", &rt->tags, &rt->ntags) ||
	    !copy_list(sec, "users", &rt->users, &rt->nusers))
		return conf_oom(file, err);
	for (int i = 0; i < rt->nusers; i++) {
		const char *u = rt->users[i];

		if (u == NULL || u[0] == '\0' || strpbrk(u, " \t\r\n:") != NULL)
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: route \"%s\": bad user \"%.64s\" in "
			    "users (a login name or a numeric uid)",
			    file, rt->line, rt->name, u != NULL ? u : "");
	}
	rt->keep_ses_headers =
	    strcmp(cfg_getstr(sec, "ses_headers"), "keep") == 0;
	return MS_OK;
}

static void
default_hostname(struct ms_conf *conf, bool *oom)
{
	char host[HOST_NAME_MAX + 1];

	if (conf->hostname == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		if ((conf->hostname = strdup(host)) == NULL) {
			*oom = true;
			return;
		}
	}
	if (conf->domain == NULL) {
		const char *dot = strchr(conf->hostname, '.');

		conf->domain = ms_strdup_opt(
		    dot != NULL && dot[1] != '\0' ? dot + 1 : conf->hostname,
		    oom);
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

enum ms_status
conf_fill(
    struct ms_conf *conf, cfg_t *cfg, const char *file, struct ms_err *err)
{
	enum ms_status st;
	bool oom = false;

	conf->spool = ms_strdup_opt(cfg_getstr(cfg, "spool"), &oom);
	conf->hostname = ms_strdup_opt(cfg_getstr(cfg, "hostname"), &oom);
	conf->domain = ms_strdup_opt(cfg_getstr(cfg, "domain"), &oom);
	conf->aliases = ms_strdup_opt(cfg_getstr(cfg, "aliases"), &oom);
	conf->catchall = ms_strdup_opt(cfg_getstr(cfg, "catchall"), &oom);
	conf->max_message_size = cfg_getint(cfg, "max_message_size");
	conf->smtpd_idle_timeout = cfg_getint(cfg, "smtpd_idle_timeout");
	conf->smtpd_users = ms_strdup_opt(cfg_getstr(cfg, "smtpd_users"), &oom);
	if (oom)
		return conf_oom(file, err);
	if (conf->smtpd_users != NULL && conf->smtpd_users[0] != '/')
		return ms_err_set(err, MS_CONFIG,
		    "%s: smtpd_users must be an absolute path", file);
	duration_parse(cfg_getstr(cfg, "retry_first"), &conf->retry_first);
	duration_parse(cfg_getstr(cfg, "retry_max"), &conf->retry_max);
	duration_parse(cfg_getstr(cfg, "give_up"), &conf->give_up);
	conf->give_up_attempts = cfg_getint(cfg, "give_up_attempts");
	duration_parse(cfg_getstr(cfg, "secret_ttl"), &conf->secret_ttl);
	conf->dead_notify = ms_strdup_opt(cfg_getstr(cfg, "dead_notify"), &oom);
	conf->workers = cfg_getint(cfg, "workers");
	if (conf->workers < 1)
		conf->workers = 1;
	if (conf->retry_max < conf->retry_first)
		conf->retry_max = conf->retry_first;
	default_hostname(conf, &oom);
	if (oom)
		return conf_oom(file, err);

	conf->nrelays = (int)cfg_size(cfg, "relay");
	conf->relays = calloc((size_t)conf->nrelays + 1, sizeof(*conf->relays));
	if (conf->relays == NULL)
		return conf_oom(file, err);
	for (int i = 0; i < conf->nrelays; i++) {
		st = conf_relay_from_cfg(&conf->relays[i],
		    cfg_getnsec(cfg, "relay", (unsigned)i), file, err);
		if (st != MS_OK)
			return st;
	}
	conf->nroutes = (int)cfg_size(cfg, "route");
	conf->routes = calloc((size_t)conf->nroutes + 1, sizeof(*conf->routes));
	if (conf->routes == NULL)
		return conf_oom(file, err);
	for (int i = 0; i < conf->nroutes; i++) {
		st = route_from_cfg(conf, &conf->routes[i],
		    cfg_getnsec(cfg, "route", (unsigned)i), file, err);
		if (st != MS_OK)
			return st;
	}
	routes_default_last(conf);
	conf->npulls = (int)cfg_size(cfg, "pull");
	conf->pulls = calloc((size_t)conf->npulls + 1, sizeof(*conf->pulls));
	if (conf->pulls == NULL)
		return conf_oom(file, err);
	for (int i = 0; i < conf->npulls; i++) {
		struct pull_conf *pc = &conf->pulls[i];
		cfg_t *sec = cfg_getnsec(cfg, "pull", (unsigned)i);

		pc->name = ms_strdup_opt(cfg_title(sec), &oom);
		pc->line = sec->line;
		pc->queue_url =
		    ms_strdup_opt(cfg_getstr(sec, "queue_url"), &oom);
		pc->region = ms_strdup_opt(cfg_getstr(sec, "region"), &oom);
		pc->endpoint = ms_strdup_opt(cfg_getstr(sec, "endpoint"), &oom);
		pc->credentials =
		    ms_strdup_opt(cfg_getstr(sec, "credentials"), &oom);
		pc->ca_file = ms_strdup_opt(cfg_getstr(sec, "ca_file"), &oom);
		pc->visibility_timeout = cfg_getint(sec, "visibility_timeout");
		pc->max_records = cfg_getint(sec, "max_records");
		if (oom)
			return conf_oom(file, err);
		if (pc->queue_url == NULL)
			return ms_err_set(err, MS_CONFIG,
			    "%s:%d: pull \"%s\" needs a queue_url", file,
			    pc->line, pc->name);
	}
	return MS_OK;
}
