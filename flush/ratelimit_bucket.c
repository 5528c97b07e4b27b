/*
 * ratelimit_bucket.c - the token bucket's arithmetic: refill, reserve,
 *                      the record of a late send, slowing down after a
 *                      throttling reply and recovering (the rules are in
 *                      ratelimit.h). Pure: the caller gives the clock and
 *                      keeps the state; ratelimit.c persists it in
 *                      run/rate-RELAY.
 *
 * API:    ratelimit_step(), ratelimit_step_at(), ratelimit_done_step(),
 *         ratelimit_slow_step(), ratelimit_effective() (ratelimit.h).
 * Trust:  a state read back from a file may be anything: one with no
 *         clock, a factor out of range or tokens that are not finite
 *         starts afresh; a position that is not finite starts at 0; a
 *         late record from before the clock restarted is dropped.
 * Errors: none; unit-tested with a fake clock (tests/unit/test_ratelimit).
 */
#include "config.h"

#include <math.h> /* isfinite */
#include <stdbool.h>

#include "ratelimit.h"

/* Rounding between two reads of one clock (seconds). */
#define RATELIMIT_LATE_SLACK 0.001

/* The rate the bucket refills at: rate * factor less RATELIMIT_MARGIN.
 * Paced at exactly the rate, the sends of any second end exactly one
 * second after its first one: a strict counter (SES's, bench/ratesink.py)
 * then refuses the next send whenever an earlier one reached it a moment
 * late, which scheduling and the network do every few hundred sends
 * (measured: 2-6 454s per 1,000 recipients at rate = 200). The margin
 * gives every window RATELIMIT_MARGIN seconds of room for that. Half of
 * it (0.5%) is slower, not faster: a send that ends 3 ms after its slot
 * is then recorded late and holds a later one back (10,000 at 200/s:
 * 51.0-56.9 s against 50.9-51.3 s at 1%, 0 throttled either way;
 * bench/RESULTS.md, eighth run). */
static double
paced(double rate, double factor)
{
	return rate * factor * (1.0 - RATELIMIT_MARGIN);
}

/* A late send is recorded at most a second ahead of the clock that saw
 * it (ratelimit_done_step). One further ahead was recorded before the
 * clock restarted (run/rate-RELAY outlives a reboot; CLOCK_MONOTONIC does
 * not): it would hold every send back by up to the old uptime, and past
 * RATELIMIT_MAX_WAIT refuse them all. Dropped. */
static void
drop_stale_late(struct rl_state *st, double now)
{
	unsigned i, k;

	for (i = k = 0; i < st->nlate; i++)
		if (st->late[i].time <= now + 1.0 + RATELIMIT_LATE_SLACK)
			st->late[k++] = st->late[i];
	st->nlate = k;
}

static void
refill(struct rl_state *st, double now, double rate)
{
	double eff, cap;

	if (st->last <= 0 || !(st->factor > 0) || st->factor > 1 ||
	    !isfinite(st->tokens)) {
		st->factor = 1.0;
		st->tokens = 1;
		st->last = now;
		st->adjust = now;
	}
	if (now < st->last)
		st->last = now; /* clock restarted (reboot) */
	drop_stale_late(st, now);
	if (now < st->adjust)
		st->adjust = now;
	if (st->factor < 1.0 && now - st->adjust >= RATELIMIT_RECOVER_EVERY) {
		double steps = (double)(long long)((now - st->adjust) /
		    RATELIMIT_RECOVER_EVERY);

		/* Tokens up to the step use the old rate. */
		st->factor += RATELIMIT_RECOVER_STEP * steps;
		if (st->factor > 1.0)
			st->factor = 1.0;
		st->adjust += steps * RATELIMIT_RECOVER_EVERY;
	}
	eff = paced(rate, st->factor);
	/* At most RATELIMIT_SAVED tokens saved up (a bucket holding a
	 * second's worth allowed twice the rate in one window, which SES,
	 * counting per second, answers with 454). Two let a flusher whose
	 * last message took longer than 1/eff catch up with the next one;
	 * such a send counts as a batch of n + the tokens left (below). */
	cap = RATELIMIT_SAVED;
	st->tokens += (now - st->last) * eff;
	if (st->tokens > cap)
		st->tokens = cap;
	st->last = now;
}

double
ratelimit_effective(struct rl_state *st, double now, double rate)
{
	refill(st, now, rate);
	return rate * st->factor;
}

bool
ratelimit_step_at(struct rl_state *st, double now, double rate, unsigned n,
    double *wait, double *pos)
{
	double eff, slot, end;
	unsigned i, k;

	refill(st, now, rate);
	eff = paced(rate, st->factor);
	if (pos != NULL && -st->tokens > eff * RATELIMIT_AHEAD) {
		/* Reserved that far ahead already: come back when it is
		 * less, reserving nothing now (see ratelimit.h). */
		*wait = (-st->tokens - eff * RATELIMIT_AHEAD) / eff;
		*pos = st->seq;
		return false;
	}
	st->tokens -= n;
	*wait = st->tokens < 0 ? -st->tokens / eff : 0;
	if (!isfinite(st->seq) || st->seq < 0)
		st->seq = 0;
	if (pos != NULL)
		*pos = st->seq;
	end = st->seq + n;
	slot = now + *wait;
	/* A late send ahead of this one: wait until a second after it, and
	 * move every later reservation by as much (they come after). */
	for (i = k = 0; i < st->nlate; i++) {
		if (st->late[i].pos < end) {
			if (slot < st->late[i].time) {
				double extra = st->late[i].time - slot;

				*wait += extra;
				slot += extra;
				st->tokens -= extra * eff;
			}
			continue; /* applied: later sends follow this one */
		}
		st->late[k++] = st->late[i];
	}
	st->nlate = k;
	st->seq = end;
	return true;
}

void
ratelimit_step(
    struct rl_state *st, double now, double rate, unsigned n, double *wait)
{
	(void)ratelimit_step_at(st, now, rate, n, wait, NULL);
}

void
ratelimit_done_step(struct rl_state *st, double now, double rate, double pos,
    unsigned n, double slot)
{
	double p, t, eff = paced(rate, st->factor > 0 ? st->factor : 1.0);

	/* The n recipients from pos + 1 reached the relay by now. A send
	 * whose last recipient is past pos + rate would make more than rate
	 * in one second with them unless it starts a second later. Paced
	 * singles after it come (rate + 1 - n) / eff later, which is enough
	 * (the margin) unless the send was late or held many recipients: a
	 * bucket lets a batch of n go with the tokens of the time before it,
	 * so the second after it would hold n + eff. Only a constraint that
	 * can bind is kept. */
	if (!isfinite(now) || !isfinite(slot) || !isfinite(pos) ||
	    now - slot <= (rate + 1 - n) / eff - 1 - RATELIMIT_LATE_MIN)
		return;
	p = pos + rate;
	t = now + 1.0;
	if (st->nlate == RATELIMIT_LATE_MAX) {
		/* Full: fold into the last one, the earlier position with
		 * the later time (stricter than both). */
		unsigned l = st->nlate - 1;

		if (p < st->late[l].pos)
			st->late[l].pos = p;
		if (t > st->late[l].time)
			st->late[l].time = t;
		return;
	}
	st->late[st->nlate].pos = p;
	st->late[st->nlate].time = t;
	st->nlate++;
}

void
ratelimit_slow_step(struct rl_state *st, double now, double rate)
{
	refill(st, now, rate);
	st->factor /= 2;
	if (st->factor < RATELIMIT_MIN_FACTOR)
		st->factor = RATELIMIT_MIN_FACTOR;
	st->adjust = now;
	if (st->tokens > 0)
		st->tokens = 0;
}
