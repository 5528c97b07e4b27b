/*
 * route.h - which route an envelope sender takes.
 *
 * API:    route_pick(), route_pattern_score().
 */
#ifndef MS_ROUTE_H
#define MS_ROUTE_H

#include "conf.h"

/* The most specific route whose senders match: exact address beats
 * "*@domain" beats "*@*.domain" (longer domains first), and a route with
 * no senders (the default) matches anything. NULL when nothing matches.
 * Comparison is case-insensitive; the null sender "" matches only the
 * default route or the pattern "<>". */
const struct route_conf *
route_pick(const struct ms_conf *conf, const char *sender);

/* How specifically pattern matches sender: 0 = no match, higher = more
 * specific. Exposed for the unit test. */
int route_pattern_score(const char *pattern, const char *sender);

#endif
