/*
 * conf_validate.c - the value checks libconfuse calls while it parses:
 *                   one of a set of words, durations, rates, numbers
 *                   that must not be negative, SES tags and
 *                   configuration set names.
 *
 * API:    conf_validators_set() (conf_priv.h), called by conf_load().
 * Trust:  values come from the config file; the ones quoted back in an
 *         error are escaped and cut (ms_quote).
 * Errors: a failing check calls cfg_error() with "KEY = VALUE ..." and
 *         returns -1; libconfuse then fails the parse and conf.c turns
 *         the first message into "FILE:LINE: ..." with MS_CONFIG.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <confuse.h>

#include "conf_priv.h"
#include "durations.h"

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

void
conf_validators_set(cfg_t *cfg)
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
