/*
 * conf_priv.h - what the files of the configuration loader share:
 *               conf.c (conf_load, conf_free: the whole file),
 *               conf_schema.c (libconfuse's option tables),
 *               conf_validate.c (the value checks libconfuse calls),
 *               conf_fill.c (the parse tree -> struct ms_conf: top-level
 *               keys, routes, pulls) and conf_relay.c (one relay
 *               section -> struct relay_conf). Only files in lib/
 *               include it; everyone else uses conf.h.
 */
#ifndef MS_CONF_PRIV_H
#define MS_CONF_PRIV_H

#include <stdlib.h>
#include <string.h>

#include <confuse.h>

#include "conf.h"

/* strdup() that passes NULL (an unset key) through. */
static inline char *
conf_dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* conf_schema.c */

/* The top-level options, with the relay, route and pull sections. */
extern cfg_opt_t conf_top_opts[];

/* conf_validate.c */

/* Attaches the value checks libconfuse cannot make itself (choices,
 * durations, rates, signs, SES names) to their keys in cfg. */
void conf_validators_set(cfg_t *cfg);

/* conf_fill.c */

/* Fills conf from the parsed cfg of file (its name for messages).
 * MS_CONFIG with "FILE:LINE: what" for what the schema could not judge
 * (missing values, cross references); conf holds what was filled so far
 * and the caller frees it. */
enum ms_status conf_fill(
    struct ms_conf *conf, cfg_t *cfg, const char *file, struct ms_err *err);

/* conf_relay.c */

/* Fills r from one relay section sec of file. MS_CONFIG with
 * "FILE:LINE: relay ..." when the section is incomplete or mixes keys
 * that do not go together; r holds what was filled so far. */
enum ms_status conf_relay_from_cfg(
    struct relay_conf *r, cfg_t *sec, const char *file, struct ms_err *err);

#endif
