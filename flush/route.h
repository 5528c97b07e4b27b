/*
 * route.h - which route an envelope sender takes.
 *
 * API:    route_pick(), route_pick_user(), route_allows(),
 *         route_pattern_score().
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

/* True when the route's users list (names or numeric uids; empty =
 * everyone) includes uid. A name that is not a user allows nobody. */
bool route_allows(const struct route_conf *rt, long uid);

/* route_pick() among the routes that allow uid (the submitting user the
 * envelope records): a route whose users list leaves uid out does not
 * match, and the next most specific one is taken. */
const struct route_conf *
route_pick_user(const struct ms_conf *conf, const char *sender, long uid);

/* How specifically pattern matches sender: 0 = no match, higher = more
 * specific. Exposed for the unit test. */
int route_pattern_score(const char *pattern, const char *sender);

#endif
