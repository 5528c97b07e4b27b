#!/usr/bin/python3
"""api_pacing.py - SES pacing through sendmail -> `mailshim flush` and
the fake AWS (tests/servers/aws_server.py wrapped by api_lib.py):

  1. an ses relay without `rate` is never unpaced: with GetAccount
     allowed it paces at 80% of MaxSendRate (rate = auto), and says so
     once in the log;
  2. when GetAccount is denied it paces at 1 recipient/s and says so
     once: 3 recipients take at least 2 s;
  3. the API path reserves tokens per SendEmail call of at most 50
     recipients: a 3,500-recipient message at 200/s starts at once and
     goes out as 70 calls spread over about 17 s (reserving all 3,500
     tokens first would send nothing for 17.5 s, then 70 calls at once;
     at 11/s such a message waited past the pacer's 300 s limit and was
     never sent).
Expected rates come from SES's documented MaxSendRate semantics (one
recipient = one message against the rate) and the issue's rule
(80% of MaxSendRate, else the sandbox's 1/s).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import ApiEnv  # noqa: E402

KEY, SECRET = "AKIAPACINGTEST000001", "pacing/Secret+Key"


def main():
    with ApiEnv("api-pacing", "--static", "%s|%s" % (KEY, SECRET)) as env:
        env.vars.update(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET,
                        AWS_ENDPOINT_URL=None)

        def send(rcpts, subject):
            return env.sendmail(("From: app@example.com\nSubject: %s\n\n"
                                 "body\n" % subject).encode(),
                                ["-f", "app@example.com"] + rcpts)

        # 1. no rate, GetAccount allowed: MaxSendRate 5 -> 4/s
        env.write_conf(env.api_relay("sesapi"), ["sesapi"])
        env.check(send(["a@example.net", "b@example.net"], "one") == 0,
                  "sendmail 1")
        env.check(send(["c@example.net"], "two") == 0, "sendmail 2")
        r = env.flush()
        log = r.stdout + r.stderr
        env.check(r.returncode == 0, "flush 1 exit %d" % r.returncode)
        env.check(log.count("4.00 recipients/s") == 1,
                  "rate = auto from GetAccount, said once:\n" + log[-800:])

        # 2. no rate, GetAccount denied: 1 recipient/s, said once
        env.account(deny=True)
        env.write_conf(env.api_relay("sesapi2"), ["sesapi2"])
        env.check(send(["d@example.net", "e@example.net", "f@example.net"],
                       "three") == 0, "sendmail 3")
        t0 = time.monotonic()
        r = env.flush()
        took = time.monotonic() - t0
        log = r.stdout + r.stderr
        env.check(r.returncode == 0, "flush 2 exit %d" % r.returncode)
        env.check(log.count("pacing at 1 recipient/s") == 1,
                  "1/s without GetAccount, said once:\n" + log[-800:])
        env.check(took >= 1.8, "3 recipients at 1/s took %.1f s (>= 2)"
                  % took)
        env.account(deny=False)

        # 3. 3,500 recipients at 200/s: paced per call of 50
        env.write_conf(env.api_relay("sesbig", '  rate = 200\n'),
                       ["sesbig"])
        rcpts = ["r%04d@example.net" % i for i in range(3500)]
        env.check(send(rcpts, "big") == 0, "sendmail 3,500 recipients")
        before = len(env.times()["sends"])
        t0 = time.time()
        r = env.flush(timeout=120)
        env.check(r.returncode == 0, "flush 3 exit %d" % r.returncode)
        sends = env.times()["sends"][before:]
        st = env.aws.state()
        big = [m for m in st["messages"] if m["to"][0].startswith("r")]
        env.check(len(sends) == 70 and len(big) == 70 and
                  all(len(m["to"]) <= 50 for m in big) and
                  sum(len(m["to"]) for m in big) == 3500,
                  "70 SendEmail calls of at most 50 recipients (%d, %d)"
                  % (len(sends), len(big)))
        if sends:
            first, span = sends[0] - t0, sends[-1] - sends[0]
            env.check(first < 8, "the first call went out at once "
                      "(after %.1f s, not after 17.5 s)" % first)
            env.check(span >= 12, "the calls are spread over the 17 s "
                      "the rate needs (%.1f s)" % span)
        env.check(env.queued_ids() == [], "nothing left queued")
        return env.failures


sys.exit(1 if main() else 0)
