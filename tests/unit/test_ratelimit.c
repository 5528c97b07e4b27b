/*
 * test_ses_ratelimit.c - token bucket arithmetic with a fake clock, the
 *                        bucket shared by two processes through run/, and
 *                        relay holds.
 */
#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ratelimit.h"
#include "ses_check.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-6)
/* The rate the bucket refills at (ratelimit.h). */
#define P(rate) ((rate) * (1.0 - RATELIMIT_MARGIN))

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sends total recipients in messages of n at rate; returns the fake time
 * the last one went out (callers sleep exactly what they are told). */
static double
simulate(double rate, unsigned n, unsigned total)
{
	struct rl_state st;
	double t = 1000, wait;

	memset(&st, 0, sizeof(st));
	for (unsigned sent = 0; sent < total; sent += n) {
		ratelimit_step(&st, t, rate, n, &wait);
		t += wait;
	}
	return t - 1000;
}

/* The most recipients a strict per-second counter (SES, bench/ratesink.py)
 * sees in one second when n recipients go at a time at rate and each
 * arrives up to late seconds after its send, worst case: counted from
 * one send that arrived late, a window of 1 - late seconds of sends
 * that arrived on time. Sends at the times the bucket tells. */
static double
worst_window(double rate, unsigned n, unsigned total, double late)
{
	struct rl_state st;
	double t = 1000, wait, *at, worst = 0;
	unsigned k = 0, sends = total / n;

	at = calloc(sends, sizeof(*at));
	if (at == NULL)
		return 1e9;
	memset(&st, 0, sizeof(st));
	for (k = 0; k < sends; k++) {
		ratelimit_step(&st, t, rate, n, &wait);
		t += wait;
		at[k] = t;
	}
	for (unsigned i = 0; i < sends; i++) {
		double in = 0;

		for (unsigned j = i; j < sends && at[j] < at[i] + 1.0 + late;
		     j++)
			in += n;
		if (in > worst)
			worst = in;
	}
	free(at);
	return worst;
}

/* K flushers share one bucket; each reports its last send at its next
 * acquire, as ratelimit_acquire() does. A send reaches the relay up to
 * late seconds after its slot (the scheduler, the network: far more
 * than the margin covers) and is over 1 ms after that; every every-th
 * send carries 50 recipients (an API call, an SMTP batch), the others
 * one. Returns the most recipients a strict per-second counter sees in
 * one second, counted from any arrival (SES's rule, bench/ratesink.py).
 * A flusher's final send is never reported: it arrives on time. */
static double
flushers(double rate, unsigned k, unsigned per, unsigned every, double late)
{
	struct rl_state st;
	double next[16], pos[16], slot[16], *at, *nn, worst = 0;
	unsigned n[16], left[16], total = k * per, m = 0;

	if (k > 16 || (at = calloc(total, sizeof(*at))) == NULL)
		return 1e9;
	if ((nn = calloc(total, sizeof(*nn))) == NULL) {
		free(at);
		return 1e9;
	}
	memset(&st, 0, sizeof(st));
	srand(18);
	for (unsigned i = 0; i < k; i++) {
		next[i] = 1000 + i * 0.0001;
		n[i] = 0;
		left[i] = per;
	}
	while (m < total) {
		unsigned i = 0;
		double wait, d;

		for (unsigned j = 1; j < k; j++)
			if (left[j] > 0 && (left[i] == 0 || next[j] < next[i]))
				i = j;
		if (n[i] > 0)
			ratelimit_done_step(
			    &st, next[i], rate, pos[i], n[i], slot[i]);
		n[i] = 0;
		if (!ratelimit_step_at(&st, next[i], rate,
			(m % every == every - 1) ? 50 : 1, &wait, &pos[i])) {
			next[i] += wait + 1e-6; /* reserved far ahead */
			continue;
		}
		n[i] = (m % every == every - 1) ? 50 : 1;
		if (st.tokens > 0) /* as ratelimit_acquire() records it */
			n[i] += (unsigned)ceil(st.tokens);
		slot[i] = next[i] + wait;
		d = --left[i] == 0 ? 0 : late * (double)rand() / RAND_MAX;
		at[m] = slot[i] + d;
		nn[m] = (m % every == every - 1) ? 50 : 1;
		next[i] = at[m] + 0.001;
		m++;
	}
	for (unsigned i = 0; i < total; i++) {
		double in = 0;

		for (unsigned j = 0; j < total; j++)
			if (at[j] >= at[i] && at[j] < at[i] + 1.0)
				in += nn[j];
		if (in > worst)
			worst = in;
	}
	free(at);
	free(nn);
	return worst;
}

static void
arithmetic(void)
{
	struct rl_state st;
	double wait, pos;

	memset(&st, 0, sizeof(st));
	ratelimit_step(&st, 100, 10, 1, &wait);
	CHECK("first token free", NEAR(wait, 0) && NEAR(st.tokens, 0));
	ratelimit_step(&st, 100, 10, 50, &wait);
	CHECK("50 at 10/s waits 50 / P(10) s", NEAR(wait, 50 / P(10)));
	ratelimit_step(&st, 100 + 50 / P(10), 10, 1, &wait);
	CHECK("after the wait, next one waits 1 / P(10) s",
	    NEAR(wait, 1 / P(10)));
	ratelimit_step(&st, 1000, 10, 1, &wait);
	CHECK("at most RATELIMIT_SAVED tokens saved up",
	    NEAR(st.tokens, RATELIMIT_SAVED - 1) && NEAR(wait, 0));

	/* Sustained rates: no burst, sends paced 1/P(rate) apart (the
	 * first token is there at once). */
	CHECK("100 single recipients at 5/s take 99 / P(5) s",
	    NEAR(simulate(5, 1, 100), 99 / P(5)));
	CHECK("150 recipients in 50s at 10/s",
	    NEAR(simulate(10, 50, 150), 149 / P(10)));
	CHECK("fractional rate 0.5/s", NEAR(simulate(0.5, 1, 5), 4 / P(0.5)));

	/* SES counts recipients per second: paced at exactly the rate, a
	 * send that reaches it a few ms late puts rate + n in one second
	 * (bench/run measure 7: 454s with 1 to 16 flushers). The margin
	 * leaves room for 5 ms of lateness, for single recipients and for
	 * the API's calls of 50. */
	CHECK("200/s, 1 recipient a send, 5 ms late: at most 200 a second",
	    worst_window(200, 1, 4000, 0.005) <= 200);
	CHECK("200/s, calls of 50, 5 ms late: at most 200 a second",
	    worst_window(200, 50, 4000, 0.005) <= 200);
	CHECK("14/s, 1 recipient a send, 5 ms late: at most 14 a second",
	    worst_window(14, 1, 280, 0.005) <= 14);
	CHECK("1/s (sandbox), 5 ms late: at most 1 a second",
	    worst_window(1, 1, 20, 0.005) <= 1);

	/* Beyond the margin: sends up to 30 ms late, and batches of 50
	 * among single recipients (a bucket lets a batch go with the tokens
	 * saved before it, so the second after it held 50 + rate). Both are
	 * recorded by the next acquire and the send that would crowd their
	 * second waits (the "late" lines of run/rate-RELAY). */
	CHECK("8 flushers at 200/s, sends up to 30 ms late: at most 200",
	    flushers(200, 8, 300, 1000000, 0.030) <= 200);
	CHECK("4 flushers at 200/s, 1 send in 10 of 50: at most 200",
	    flushers(200, 4, 300, 10, 0.003) <= 200);
	CHECK("1 flusher at 200/s, sends up to 30 ms late: at most 200",
	    flushers(200, 1, 2000, 1000000, 0.030) <= 200);
	CHECK("2 flushers at 200/s, late and batches: at most 200",
	    flushers(200, 2, 1000, 25, 0.010) <= 200);
	CHECK("16 flushers at 14/s, sends up to 30 ms late: at most 14",
	    flushers(14, 16, 20, 1000000, 0.030) <= 14);
	memset(&st, 0, sizeof(st));
	ratelimit_step_at(&st, 100, 10, 1, &wait, &pos);
	ratelimit_done_step(&st, 100.5, 10, pos, 1, 100);
	CHECK("a send over 0.5 s late is recorded",
	    st.nlate == 1 && NEAR(st.late[0].pos, 10) &&
		NEAR(st.late[0].time, 101.5));
	for (int i = 0; i < 9; i++)
		ratelimit_step(&st, 100.5, 10, 1, &wait);
	CHECK("the 10th after it is paced as usual", st.nlate == 1);
	ratelimit_step(&st, 100.5, 10, 1, &wait);
	CHECK("the 11th waits until a second after it was over",
	    NEAR(100.5 + wait, 101.5) && st.nlate == 0);
	ratelimit_done_step(&st, 100.5 + 0.001, 10, 0, 1, 100.5);
	CHECK("a send on time is not recorded", st.nlate == 0);

	/* Throttling: halve, empty, recover 10% a minute. */
	memset(&st, 0, sizeof(st));
	ratelimit_step(&st, 0.5, 10, 1, &wait);
	ratelimit_slow_step(&st, 1, 10);
	CHECK("slow halves", NEAR(ratelimit_effective(&st, 1, 10), 5));
	ratelimit_step(&st, 1, 10, 1, &wait);
	CHECK("slow empties the bucket", NEAR(wait, 1 / P(5)));
	CHECK(
	    "59 s later still half", NEAR(ratelimit_effective(&st, 60, 10), 5));
	CHECK("a minute later +10%", NEAR(ratelimit_effective(&st, 61, 10), 6));
	CHECK("five minutes later full",
	    NEAR(ratelimit_effective(&st, 400, 10), 10));
	for (int i = 0; i < 10; i++)
		ratelimit_slow_step(&st, 500, 10);
	CHECK("floor at 5%", NEAR(ratelimit_effective(&st, 500, 10), 0.5));

	memset(&st, 0, sizeof(st));
	ratelimit_step(&st, 50, 2, 1, &wait);
	ratelimit_step(&st, 10, 2, 1, &wait); /* clock went back */
	CHECK("clock going back does not explode", wait >= 0 && wait < 1);

	/* run/rate-RELAY outlives a reboot, CLOCK_MONOTONIC restarts: a
	 * batch of 50 recorded as late a day into the last boot must not
	 * hold back (by a day: past RATELIMIT_MAX_WAIT, a refusal) the
	 * first send after it. */
	memset(&st, 0, sizeof(st));
	ratelimit_step(&st, 86400, 2, 1, &wait);
	ratelimit_done_step(&st, 86400.5, 2, 0, 50, 86400);
	CHECK("a batch is recorded as late", st.nlate == 1);
	ratelimit_step(&st, 30, 2, 1, &wait);
	CHECK("a late send from before a reboot holds nothing back",
	    wait >= 0 && wait < 1 && st.nlate == 0);
	st.factor = -3;
	ratelimit_step(&st, 20, 2, 1, &wait);
	CHECK("damaged state reset", NEAR(st.factor, 1) && NEAR(wait, 0));
}

static void
shared(const char *dir)
{
	int runfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	double t0, elapsed;
	pid_t kids[2];
	int ok = 1;

	CHECK("run dir", runfd >= 0);
	/* 2 processes x 20 recipients at 20/s, paced 0.05 s apart: one
	 * shared bucket takes 39 x 0.05 = 1.95 s; separate buckets would
	 * each take 0.95 s, in parallel. */
	t0 = now_mono();
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			struct ms_err err;

			for (int i = 0; i < 20; i++)
				if (ratelimit_acquire(runfd, "ses eu/1", 20, 1,
					&err) != MS_OK)
					_exit(1);
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++) {
		int status = 0;

		if (kids[k] < 0 || waitpid(kids[k], &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ok = 0;
	}
	elapsed = now_mono() - t0;
	CHECK("children ok", ok);
	printf("# shared bucket: 40 recipients at 20/s took %.3f s\n", elapsed);
	CHECK("shared bucket holds both processes to the rate",
	    elapsed >= 1.7 && elapsed < 3.5);
	CHECK("state file name sanitised",
	    faccessat(runfd, "rate-ses_eu_1", F_OK, 0) == 0);

	{
		/* A send whose relay said it was over at once is not late
		 * however long the flusher takes to come back; one it did
		 * not hear about is late by that long (a "late" line). */
		struct ms_err err;
		char buf[2048];
		int fd;
		ssize_t n;

		CHECK("sent: first",
		    ratelimit_acquire(runfd, "sent", 100, 1, &err) == MS_OK);
		ratelimit_sent("sent");
		usleep(300000);
		CHECK("sent: second",
		    ratelimit_acquire(runfd, "sent", 100, 1, &err) == MS_OK);
		fd = openat(runfd, "rate-sent", O_RDONLY);
		n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		buf[n > 0 ? n : 0] = '\0';
		if (fd >= 0)
			close(fd);
		CHECK("a send over on time is not recorded as late",
		    n > 0 && strstr(buf, "late ") == NULL);
		usleep(300000);
		CHECK("sent: third",
		    ratelimit_acquire(runfd, "sent", 100, 1, &err) == MS_OK);
		fd = openat(runfd, "rate-sent", O_RDONLY);
		n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		buf[n > 0 ? n : 0] = '\0';
		if (fd >= 0)
			close(fd);
		CHECK(
		    "one not heard of is recorded when the flusher comes back",
		    n > 0 && strstr(buf, "late ") != NULL);
	}

	{
		struct ms_err err;
		double t1 = now_mono();

		CHECK("rate 0 is unlimited",
		    ratelimit_acquire(runfd, "z", 0, 1000, &err) == MS_OK &&
			now_mono() - t1 < 0.5);
		CHECK("too long a wait refused",
		    ratelimit_acquire(runfd, "y", 1, 1000, &err) == MS_TEMP &&
			strstr(err.msg, "wait") != NULL);
		t1 = now_mono();
		CHECK("refused wait reserved nothing",
		    ratelimit_acquire(runfd, "y", 1, 1, &err) == MS_OK &&
			now_mono() - t1 < 0.5);
		CHECK("slow", ratelimit_slow(runfd, "y", 1, &err) == MS_OK);
	}

	{
		struct ms_err err;
		long long until = 0, now = (long long)time(NULL);
		char reason[128];
		bool first = false;

		CHECK("no hold",
		    relay_hold_get(runfd, "q", &until, reason, sizeof(reason),
			&err) == MS_OK &&
			until == 0);
		CHECK("hold set",
		    relay_hold_set(runfd, "q", now + 100,
			"daily quota\nexceeded", &first, &err) == MS_OK &&
			first);
		CHECK("hold get",
		    relay_hold_get(runfd, "q", &until, reason, sizeof(reason),
			&err) == MS_OK &&
			until == now + 100);
		CHECK_STR(
		    "hold reason one line", reason, "daily quota?exceeded");
		CHECK("second hold not first",
		    relay_hold_set(
			runfd, "q", now + 50, "again", &first, &err) == MS_OK &&
			!first);
		CHECK("longer hold kept",
		    relay_hold_get(runfd, "q", &until, NULL, 0, &err) ==
			    MS_OK &&
			until == now + 100);
		relay_hold_clear(runfd, "q");
		CHECK("cleared",
		    relay_hold_get(runfd, "q", &until, NULL, 0, &err) ==
			    MS_OK &&
			until == 0);
		CHECK("expired hold",
		    relay_hold_set(runfd, "e", now - 5, "x", &first, &err) ==
			    MS_OK &&
			relay_hold_get(runfd, "e", &until, NULL, 0, &err) ==
			    MS_OK &&
			until == 0);
		CHECK("after expiry first again",
		    relay_hold_set(runfd, "e", now + 5, "x", &first, &err) ==
			    MS_OK &&
			first);
	}
	close(runfd);
}

int
main(void)
{
	char dir[] = "/tmp/test_ses_ratelimit.XXXXXX";
	char cmd[128];

	arithmetic();
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	shared(dir);
	/* Clean up: a few known files. */
	snprintf(cmd, sizeof(cmd), "%s", dir);
	{
		static const char *const files[] = { "rate-ses_eu_1", "rate-y",
			"hold-e", "hold-q", "rate-z" };
		int dfd = open(dir, O_RDONLY | O_DIRECTORY);

		for (size_t i = 0; dfd >= 0 && i < MS_ARRAY_LEN(files); i++)
			(void)unlinkat(dfd, files[i], 0);
		if (dfd >= 0)
			close(dfd);
		(void)rmdir(cmd);
	}
	return CHECK_DONE();
}
