/*
 * ratelimit.h - per-relay sending rate shared by every flusher process,
 *               and relay holds ("quota exhausted until T") kept in the
 *               spool's run/ directory.
 *
 * API:    ratelimit_acquire(), ratelimit_slow(), ratelimit_step(),
 *         ratelimit_slow_step(), relay_hold_set(), relay_hold_get(),
 *         relay_hold_clear(), ratelimit_pacer().
 * Files:  run/rate-RELAY  "rl1 TOKENS LAST FACTOR ADJUST\n" (monotonic
 *                          clock seconds);
 *         run/hold-RELAY  "UNTIL REASON\n" (unix seconds).
 *         Read-modify-write under an flock on run/ itself; each update
 *         writes NAME.tmp and renames it over NAME (a file left by root
 *         that the flusher cannot read is logged and replaced).
 *         RELAY is the relay name with bytes outside [A-Za-z0-9._-]
 *         replaced by '_'.
 *
 * The bucket: rate is in recipients per second and is charged per
 * recipient (SES counts recipients, not messages). It saves up at most
 * one token, so sends are paced 1/rate apart and no sliding second sees
 * more than rate + 1 (a bucket holding a second of tokens let twice the
 * rate through one window: bench/RESULTS.md). A caller reserves n tokens at
 * once (the count may go negative) and sleeps until its reservation is covered,
 * so any number of processes together send at the configured rate, not faster,
 * and a 50-recipient message at 10/s waits 4-5 s instead of starving. Configure
 * about 80% of SES's MaxSendRate: SES measures over short windows and refuses
 * bursts right at the limit.
 *
 * After a throttling reply ratelimit_slow() halves the effective rate (to
 * at least 5% of the configured one) and empties the bucket; the rate then
 * recovers by 10% of the configured rate for each minute without another
 * throttling reply.
 */
#ifndef MS_RATELIMIT_H
#define MS_RATELIMIT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "ms.h"
#include "relay.h"

#define RATELIMIT_MAX_WAIT	300.0 /* seconds one caller may sleep */
#define RATELIMIT_MIN_FACTOR	0.05
#define RATELIMIT_RECOVER_STEP	0.10 /* of the configured rate ... */
#define RATELIMIT_RECOVER_EVERY 60.0 /* ... per this many seconds */

struct rl_state {
	double tokens; /* may be negative: reserved ahead */
	double last;   /* clock of the last update, 0 = new */
	double factor; /* effective rate = rate * factor */
	double adjust; /* clock of the last slow/recover step */
};

/* Pure arithmetic (unit-tested with a fake clock): refills st up to now
 * and reserves n tokens; *wait is how long the caller must sleep before
 * sending (0 when the tokens were there). rate > 0. */
void ratelimit_step(
    struct rl_state *st, double now, double rate, unsigned n, double *wait);

/* Refills up to now, then halves the factor and empties the bucket. */
void ratelimit_slow_step(struct rl_state *st, double now, double rate);

/* The effective rate now (rate * factor after recovery). */
double ratelimit_effective(struct rl_state *st, double now, double rate);

/* Blocks until n tokens of relay's bucket are available (rate 0: at
 * once). runfd is the spool's run/ directory; -1 keeps the bucket in this
 * process only. MS_TEMP when the wait would exceed RATELIMIT_MAX_WAIT
 * (nothing reserved then) or the state file cannot be used. */
enum ms_status ratelimit_acquire(
    int runfd, const char *relay, double rate, unsigned n, struct ms_err *err);

/* Records a throttling reply for relay (see above). */
enum ms_status
ratelimit_slow(int runfd, const char *relay, double rate, struct ms_err *err);

/* Holds relay until unix time until (a later hold already there is
 * kept). *first is set when no hold was active before, so the caller
 * logs the cause once. reason is one line, no secrets. */
enum ms_status relay_hold_set(int runfd, const char *relay, long long until,
    const char *reason, bool *first, struct ms_err *err);

/* *until = end of the active hold, or 0 when none (or expired); reason
 * (may be NULL) gets its text. */
enum ms_status relay_hold_get(int runfd, const char *relay, long long *until,
    char *reason, size_t reasonlen, struct ms_err *err);

/* True when run/hold-RELAY does not exist at all (no hold, and none to
 * read): what a caller may remember until run/ changes. */
bool relay_hold_none(int runfd, const char *relay);

/* Removes a hold (operator's `mailshim retry`). */
void relay_hold_clear(int runfd, const char *relay);

/* Fills pc with the relay hooks (relay.h) backed by the files above in the
 * run/ directory *runfd, which must stay open while relays use pc. */
void ratelimit_pacer(struct relay_pacer *pc, int *runfd);

/* A flag set by the flusher's SIGTERM handler: a wait for the bucket
 * ends (MS_TEMP, nothing sent) as soon as it is set. */
void ratelimit_stop_flag(const volatile sig_atomic_t *flag);

#endif
