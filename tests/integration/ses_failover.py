#!/usr/bin/python3
"""ses_failover.py - SES's daily quota reply holds the relay (run/hold-
RELAY, logged once) and mail fails over to the route's second relay
(another ses_smtpd.py); while the hold lasts the first relay is not
contacted at all. Also: SES sending paused -> held, mail kept queued."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ses_lib import Env  # noqa: E402

failures = 0


def quota_failover():
    with Env("quota") as env:
        s1 = env.server("ses1", "--quota", "2")
        s2 = env.server("ses2")
        env.write_conf(env.ses_relay("ses1", s1) + env.ses_relay("ses2", s2),
                       ["ses1", "ses2"])
        for i in range(4):
            env.send("app@example.com", ["q%d@other.org" % i])
        r = env.flush()
        t1 = s1.events("tx")
        t2 = s2.events("tx")
        env.check([t["code"] for t in t1] == [250, 250, 454],
                  "first relay: 2 sent, then daily quota (%s)"
                  % [t["code"] for t in t1])
        env.check(len(t2) == 2 and all(t["code"] == 250 for t in t2),
                  "the other 2 went to the second relay (%d)" % len(t2))
        env.check(env.queue_files() == [], "queue empty")
        hold = os.path.join(env.spool, "run", "hold-ses1")
        until = 0
        if os.path.exists(hold):
            with open(hold) as f:
                until = int(f.read().split()[0])
        env.check(until >= time.time() + 1500, "ses1 held for 30 min+")
        held_lines = [ln for ln in r.stderr.splitlines() if "held" in ln
                      and "ses1" in ln and "quota" in ln.lower()]
        env.check(len(held_lines) >= 1, "hold logged")
        env.check(sum(1 for ln in r.stderr.splitlines()
                      if "held for" in ln and "ses1" in ln) == 1,
                  "hold logged once")
        conns = len(s1.events("connect"))
        env.send("app@example.com", ["later@other.org"])
        env.flush()
        env.check(len(s1.events("connect")) == conns,
                  "held relay not contacted again")
        env.check(len(s2.events("tx")) == 3, "new mail to the second relay")
        return env.failures


def paused():
    with Env("paused") as env:
        s1 = env.server("ses1", "--paused")
        env.write_conf(env.ses_relay("ses1", s1), ["ses1"])
        env.send("app@example.com", ["bob@other.org"])
        r = env.flush()
        env.check(len(env.queue_files()) == 1 and
                  env.queue_files("dead") == [], "paused: mail kept queued")
        env.check(os.path.exists(os.path.join(env.spool, "run",
                                              "hold-ses1")),
                  "paused: relay held")
        env.check("paused" in r.stderr, "paused: logged")
        return env.failures


for case in (quota_failover, paused):
    print("#", case.__name__)
    failures += case()
sys.exit(1 if failures else 0)
