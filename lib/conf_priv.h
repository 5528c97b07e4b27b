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

#include <confuse.h>

#include "conf.h"

/* The loader's error when an allocation fails (style.md: MS_TEMP, as
 * for any error; the caller frees what was filled). The fill functions
 * copy strings with ms_strdup_opt() and check its flag once. */
static inline enum ms_status
conf_oom(const char *file, struct ms_err *err)
{
	return ms_err_set(
	    err, MS_TEMP, "%s: out of memory loading the configuration", file);
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
 * (missing values, cross references), MS_TEMP (conf_oom) when memory
 * runs out; conf holds what was filled so far and the caller frees it. */
enum ms_status conf_fill(
    struct ms_conf *conf, cfg_t *cfg, const char *file, struct ms_err *err);

/* conf_relay.c */

/* Fills r from one relay section sec of file. MS_CONFIG with
 * "FILE:LINE: relay ..." when the section is incomplete or mixes keys
 * that do not go together, MS_TEMP when memory runs out; r holds what
 * was filled so far. */
enum ms_status conf_relay_from_cfg(
    struct relay_conf *r, cfg_t *sec, const char *file, struct ms_err *err);

#endif
