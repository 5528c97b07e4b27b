#!/usr/bin/python3
"""ses_rate.py - the per-relay rate limit shared by two `mailshim flush`
processes running at once (measured by ses_smtpd.py's transaction log),
and a throttling reply: the relay slows down (run/rate-RELAY factor 0.5),
the message is retried without counting an attempt, nothing fails
over."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ses_lib import Env, MAILSHIM  # noqa: E402

failures = 0


def two_flushers():
    with Env("rate") as env:
        s = env.server("ses")
        env.write_conf(env.ses_relay("ses", s, "  rate = 4\n"), ["ses"])
        n = 16
        for i in range(n):
            env.send("app@example.com", ["p%02d@other.org" % i])
        procs = [subprocess.Popen([MAILSHIM, "-C", env.conf, "flush"],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=60) for p in procs]
        tx = [t for t in s.events("tx") if t["code"] == 250]
        env.check(len(tx) == n, "all %d sent (%d)" % (n, len(tx)))
        conns = {t["conn"] for t in tx}
        env.check(len(conns) >= 2, "both flushers sent mail (connections "
                  "%s)" % sorted(conns))
        times = sorted(t["time"] for t in tx)
        span = times[-1] - times[0] if times else 0
        # Paced 0.25 s apart: 15 gaps take 3.75 s. Two separate
        # buckets would finish in about 1.75 s.
        print("# 16 recipients at rate 4 by two flushers took %.2f s" % span)
        env.check(span >= 2.6, "shared rate held (span %.2f s >= 2.6)"
                  % span)
        env.check(span <= 4.5, "and not slower than configured (span "
                  "%.2f s <= 4.5; if about 6-7 s, the flusher (deliver.c) charges "
                  "the bucket too: ses relays pace themselves)" % span)
        worst = max(sum(1 for u in times if t <= u < t + 1.0)
                    for t in times) if times else 0
        # Tokens are taken when a flusher asks, the server stamps the
        # send: under sanitizers (MAILSHIM_SANITIZED) sends lag their
        # tokens unevenly, so two more may land in one window there.
        limit = 10 if os.environ.get("MAILSHIM_SANITIZED") else 8
        env.check(worst <= limit, "at most burst + rate in any second "
                  "(%d, limit %d)" % (worst, limit))
        for o in outs:
            if "ERROR" in o[1] or "AddressSanitizer" in o[1]:
                env.check(False, "flusher error: " + o[1][-300:])
        return env.failures


def throttling():
    with Env("throttle") as env:
        s = env.server("ses")
        env.write_conf(env.ses_relay("ses", s, "  rate = 10\n"), ["ses"])
        s.set(throttle_every=3)
        for i in range(6):
            env.send("app@example.com", ["t%d@other.org" % i])
        r = env.flush()
        tx = s.events("tx")
        codes = [t["code"] for t in tx]
        env.check(454 in codes, "server throttled (%s)" % codes)
        env.check(sum(1 for c in codes if c == 250) >= 4,
                  "the others went through")
        rate_file = os.path.join(env.spool, "run", "rate-ses")
        try:
            with open(rate_file) as f:
                fields = f.read().split()
            factor = float(fields[3])
        except (OSError, IndexError, ValueError):
            factor = -1
        env.check(0.2 < factor <= 0.5, "relay slowed after throttling "
                  "(factor %.2f; two throttles must give 0.25, less means the "
                  "flusher slows the bucket too)" % factor)
        ok_after = [t["time"] for t in tx if t["code"] == 250 and
                    t["tx"] > codes.index(454) + 1] if 454 in codes else []
        gaps = [b - a for a, b in zip(ok_after, ok_after[1:])]
        env.check(all(g >= 0.15 for g in gaps), "sends after the throttle "
                  "are spaced at the halved rate (%s)"
                  % ["%.2f" % g for g in gaps])
        env.check("status=bounced" not in r.stderr and
                  env.queue_files("dead") == [], "nothing dead")
        state = env.state_text()
        # Each throttled message is deferred (retry in 30 s) with its
        # attempt count untouched: there must be one queued message per
        # 454, each with "attempts 0" (an empty queue proves nothing).
        throttled = codes.count(454)
        queued = env.queue_files()
        attempts = [ln for ln in state.splitlines()
                    if ln.startswith("attempts ")]
        env.check(throttled > 0 and len(queued) == throttled and
                  attempts == ["attempts 0"] * throttled,
                  "throttled messages not charged an attempt (%d throttled,"
                  " %d queued, %s)" % (throttled, len(queued), attempts))
        print("# state:", state.replace("\n", " | ")[:300])
        return env.failures


for case in (two_flushers, throttling):
    print("#", case.__name__)
    failures += case()
sys.exit(1 if failures else 0)
