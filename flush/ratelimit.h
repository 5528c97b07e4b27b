/*
 * ratelimit.h - per-relay sending rate shared by every flusher process,
 *               and relay holds ("quota exhausted until T") kept in the
 *               spool's run/ directory.
 *
 * API:    ratelimit_acquire(), ratelimit_slow(), ratelimit_sent(),
 *         ratelimit_step(), ratelimit_step_at(), ratelimit_done_step(),
 *         ratelimit_slow_step(), relay_hold_set(), relay_hold_get(),
 *         relay_hold_clear(), ratelimit_pacer().
 * Files:  run/rate-RELAY  "rl1 TOKENS LAST FACTOR ADJUST SEQ\n" then up
 *                          to RATELIMIT_LATE_MAX "late POS TIME\n"
 *                          (clocks in monotonic seconds; SEQ and POS
 *                          count recipients; SEQ may be missing);
 *         run/hold-RELAY  "UNTIL REASON\n" (unix seconds).
 *         Read-modify-write under an flock on run/ itself; each update
 *         writes NAME.tmp and renames it over NAME (a file left by root
 *         that the flusher cannot read is logged and replaced).
 *         RELAY is the relay name with bytes outside [A-Za-z0-9._-]
 *         replaced by '_'.
 *
 * The bucket: rate is in recipients per second and is charged per
 * recipient (SES counts recipients, not messages). It refills at
 * rate less RATELIMIT_MARGIN and saves up at most RATELIMIT_SAVED
 * tokens, so sends are paced evenly and the recipients sent in any
 * second, counted from any send, reach at most rate even when each
 * arrives up to about RATELIMIT_MARGIN seconds late (a bucket holding a
 * second of tokens let twice the rate through one window; one paced at
 * exactly the rate let rate + 1 through whenever a send was late:
 * bench/RESULTS.md). A caller reserves n tokens at once (the count may go
 * negative) and sleeps until its reservation is covered, so any number of
 * processes together send at the configured rate less the margin, not
 * faster, and a 50-recipient message at 10/s waits 4-5 s instead of
 * starving. Configure about 80% of SES's MaxSendRate: SES measures over
 * short windows and refuses bursts right at the limit.
 *
 * The margin covers a send that reaches the relay up to about 10 ms late.
 * Later ones are recorded: a flusher's next acquire says when its last
 * send was over at the latest (when relay_send() returned, or else
 * now). When that is late, or the send held many recipients, the send
 * that would put more than rate recipients in a second with it waits
 * until a second after it ("late POS TIME" lines: a send ending past
 * recipient POS does not start before TIME), so a send held up by the
 * scheduler, the network or the relay itself never crowds a second. For the
 * record to come before that send is reserved, flushers reserve at most
 * RATELIMIT_AHEAD seconds of sends ahead (more wait, then ask again).
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
#define RATELIMIT_MARGIN	0.01  /* paced 1% below rate (see above) */
#define RATELIMIT_MIN_FACTOR	0.05
#define RATELIMIT_RECOVER_STEP	0.10 /* of the configured rate ... */
#define RATELIMIT_RECOVER_EVERY 60.0 /* ... per this many seconds */

#define RATELIMIT_AHEAD	   0.25	 /* s of sends reserved ahead, at most */
#define RATELIMIT_SAVED	   2	 /* tokens saved up, at most */
#define RATELIMIT_LATE_MAX 32	 /* "late" lines kept in run/rate-RELAY */
#define RATELIMIT_LATE_MIN 0.002 /* s: recorded this much before it binds */

struct rl_state {
	double tokens; /* may be negative: reserved ahead */
	double last;   /* clock of the last update, 0 = new */
	double factor; /* effective rate = rate * factor */
	double adjust; /* clock of the last slow/recover step */
	double seq;    /* recipients reserved so far (positions) */
	unsigned nlate;
	struct {
		double pos;  /* a send ending past this position ... */
		double time; /* ... does not start before this clock */
	} late[RATELIMIT_LATE_MAX];
};

/* Pure arithmetic (unit-tested with a fake clock): refills st up to now
 * and reserves n tokens; *wait is how long the caller must sleep before
 * sending (0 when the tokens were there). rate > 0. ratelimit_step_at()
 * also gives *pos, the position (st->seq) before the n, and reserves
 * nothing (false; *wait is then when to ask again) while the bucket is
 * reserved more than RATELIMIT_AHEAD seconds ahead. */
void ratelimit_step(
    struct rl_state *st, double now, double rate, unsigned n, double *wait);
bool ratelimit_step_at(struct rl_state *st, double now, double rate, unsigned n,
    double *wait, double *pos);

/* A send reserved at position pos for n recipients, due at clock slot,
 * was over by now (its recipients reached the relay by now, at the
 * latest). When that is later than RATELIMIT_LATE_MIN after its slot, a
 * send that would put more than rate recipients in a second with it
 * waits until now + 1 s. */
void ratelimit_done_step(struct rl_state *st, double now, double rate,
    double pos, unsigned n, double slot);

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

/* The send this process reserved last for relay is over (the relay's
 * pacer hook `sent`): when it was late, its record (above) says when
 * it ended rather than when the next acquire came. No file access. */
void ratelimit_sent(const char *relay);

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
