/*
 * conf_schema.c - the shape of mailshim.conf: libconfuse's option tables
 *                 (every key, its type and default) for the top level and
 *                 the relay, route and pull sections.
 *
 * API:    conf_top_opts (conf_priv.h), handed to cfg_init() by conf.c.
 * Errors: none here; libconfuse reports unknown keys and wrong types,
 *         conf_validate.c the values, conf_fill.c and conf_relay.c what
 *         only the whole section can tell.
 * Note:   tests/integration/ops_manpages.sh reads the keys from this file
 *         and checks that mailshim.conf(5) and conf/mailshim.conf document
 *         each of them: a new key goes here and in both documents.
 */
#include "config.h"

#include <confuse.h>

#include "conf_priv.h"

#ifndef MS_DEFAULT_SPOOL
#define MS_DEFAULT_SPOOL "/var/spool/mailshim"
#endif

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

cfg_opt_t conf_top_opts[] = { CFG_STR("spool", MS_DEFAULT_SPOOL, CFGF_NONE),
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
