/*
 * route.c - maps an envelope sender to a route (an ordered relay list).
 *
 * API:    route_pick(), route_pick_user(), route_allows(),
 *         route_pattern_score().
 * Patterns: shell-style (fnmatch, case-insensitive): "a@example.com"
 *         (exact), "*@example.com" (that domain), "*@*.example.com" (any
 *         subdomain, not the domain itself), "root@*"; "<>" is the null
 *         sender and "*" anything.
 * Choice: the most specific match wins whatever the order of the file:
 *         an exact address first, then the pattern with the most literal
 *         characters ("*@x.example.com" beats "*@*.example.com").
 *         With route_pick_user(), a route whose users list does not
 *         hold the submitting uid is left out.
 */
#include "config.h"

#include <fnmatch.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "route.h"

#define SCORE_EXACT 1000000

int
route_pattern_score(const char *pattern, const char *sender)
{
	int literal = 0;

	if (strcmp(pattern, "<>") == 0)
		return sender[0] == '\0' ? SCORE_EXACT : 0;
	if (strpbrk(pattern, "*?[") == NULL)
		return strcasecmp(pattern, sender) == 0
		    ? SCORE_EXACT + (int)strlen(pattern)
		    : 0;
	if (fnmatch(pattern, sender, FNM_CASEFOLD) != 0)
		return 0;
	for (const char *p = pattern; *p != '\0'; p++)
		literal += *p != '*' && *p != '?';
	return 1 + literal;
}

bool
route_allows(const struct route_conf *rt, long uid)
{
	if (rt->nusers == 0)
		return true;
	for (int i = 0; i < rt->nusers; i++) {
		const char *u = rt->users[i];
		char *end;
		long n;
		struct passwd *pw;

		if (u[0] >= '0' && u[0] <= '9') {
			n = strtol(u, &end, 10);
			if (*end == '\0' && n == uid)
				return true;
			continue;
		}
		pw = getpwnam(u);
		if (pw != NULL && (long)pw->pw_uid == uid)
			return true;
	}
	return false;
}

static const struct route_conf *
pick(const struct ms_conf *conf, const char *sender, bool by_user, long uid)
{
	const struct route_conf *best = NULL;
	int best_score = 0;

	for (int i = 0; i < conf->nroutes; i++) {
		const struct route_conf *rt = &conf->routes[i];

		if (by_user && !route_allows(rt, uid))
			continue;
		if (rt->nsenders == 0) {
			if (best == NULL)
				best = rt, best_score = 0;
			continue;
		}
		for (int j = 0; j < rt->nsenders; j++) {
			int score = route_pattern_score(rt->senders[j], sender);

			if (score > best_score) {
				best = rt;
				best_score = score;
			}
		}
	}
	return best;
}

const struct route_conf *
route_pick(const struct ms_conf *conf, const char *sender)
{
	return pick(conf, sender, false, 0);
}

const struct route_conf *
route_pick_user(const struct ms_conf *conf, const char *sender, long uid)
{
	return pick(conf, sender, true, uid);
}
