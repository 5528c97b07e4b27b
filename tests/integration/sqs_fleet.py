#!/usr/bin/python3
"""sqs_fleet.py - a fleet through one SQS queue: three producer spools
(A1..A3, each `mailshim flush` with an `sqs` relay) and two
`mailshim pull --watch` processes on one consumer spool B, while the fake
SQS (tests/servers/sqs_server.py) fails some DeleteMessageBatch calls and
uses a short visibility timeout, so copies come back and are met by
either puller. Then `mailshim flush` on B delivers to smtpd.py.

Expected: every message delivered exactly once (unique Subject), with
its envelope; the queue empty; the pull counters add up.

SQS_FLEET_MESSAGES (default 300; the issue's run is 3000) messages in
all, split over the three producers. Prints the time each stage took.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sqs_lib import Env, Host, queue_url, sqs_relay  # noqa: E402

N = int(os.environ.get("SQS_FLEET_MESSAGES", "300"))
FAILED_DELETES = 5


def main():
    with Env("fleet", ["fleet:VisibilityTimeout=4"]) as env:
        port = env.start_smtpd()
        producers = [Host(env, "a%d" % i) for i in (1, 2, 3)]
        for a in producers:
            a.write_conf(sqs_relay("handoff", "fleet") +
                         'route "default" { relays = {"handoff"} }\n')
        b = Host(env, "b")
        b.write_conf('relay "corp" { type = "smtp" host = "127.0.0.1" '
                     'port = %d tls = "none" timeout = 30 }\n'
                     'route "default" { relays = {"corp"} }\n' % port)

        t0 = time.monotonic()
        subjects = {}
        for i in range(N):
            a = producers[i % 3]
            subj = "fleet-%05d" % i
            rc = "r%d@example.net" % (i % 7)
            data = ("Subject: %s\n\nmessage %d\n" % (subj, i)).encode()
            if a.sendmail(data, ["-f", "p%d@example.com" % (i % 3), rc]):
                env.check(False, "sendmail %d" % i)
            subjects[subj] = ("p%d@example.com" % (i % 3), rc)
        t1 = time.monotonic()
        print("# %d messages submitted in %.1fs" % (N, t1 - t0))

        env.inject(action="DeleteMessageBatch", status=500,
                   name="InternalError", count=FAILED_DELETES)
        pullers = [b.popen("pull", "--queue", queue_url("fleet"), "--watch",
                           "--wait", "2") for _ in range(2)]
        flushes = [a.popen("flush") for a in producers]
        for p in flushes:
            p.wait(timeout=1800)
        t2 = time.monotonic()
        print("# producers handed off in %.1fs" % (t2 - t1))
        env.check(all(p.returncode == 0 for p in flushes),
                  "producers: flush exit %r" % [p.returncode
                                                for p in flushes])
        env.check(all(a.files("queue") == [] and a.files("dead") == []
                      for a in producers), "producer spools empty")
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            q = env.state()["queues"]["fleet"]["messages"]
            if not q:
                break
            time.sleep(1)
        t3 = time.monotonic()
        print("# queue drained %.1fs after the last hand-off" % (t3 - t2))
        for p in pullers:
            p.send_signal(signal.SIGTERM)
        for p in pullers:
            p.wait(timeout=120)
        outs = [("", Host.output(p)) for p in pullers]
        env.check(all(p.returncode in (0, 75) for p in pullers),
                  "pullers stopped by SIGTERM, exit %r"
                  % [p.returncode for p in pullers])
        st = env.state()
        env.check(st["queues"]["fleet"]["messages"] == [], "queue empty")
        env.check(st["sig_failures"] == 0, "every signature verified")
        dups = sum(o[1].count("taken before; deleting it") for o in outs)
        busy = sum(o[1].count("another puller is writing") for o in outs)
        print("# copies recognised: %d, met while another puller wrote "
              "them: %d, stale deletes: %d" % (dups, busy,
                                               st["stale_deletes"]))
        env.check(dups >= 1, "some copies came back and were recognised "
                  "(%d)" % dups)
        r = b.mailshim("flush", "--workers", "4", timeout=1800)
        t4 = time.monotonic()
        print("# spool B delivered in %.1fs" % (t4 - t3))
        env.check(r.returncode == 0, "flush B exit %d" % r.returncode)
        seen = {}
        for m in env.smtp_msgs():
            subj = [ln for ln in m["data"].split(b"\r\n")
                    if ln.startswith(b"Subject: ")]
            s = subj[0][9:].decode() if subj else "?"
            seen.setdefault(s, []).append((m["mail_from"], m["rcpt_tos"]))
        twice = [s for s, v in seen.items() if len(v) > 1]
        missing = [s for s in subjects if s not in seen]
        env.check(not twice and not missing and len(seen) == N,
                  "each of %d messages delivered exactly once (twice %d, "
                  "missing %d)" % (N, len(twice), len(missing)))
        env.check(all(seen[s][0] == (subjects[s][0], [subjects[s][1]])
                      for s in subjects if s in seen),
                  "envelope sender and recipient kept")
        r = b.mailshim("stats", "--prometheus")
        w = [ln for ln in r.stdout.splitlines()
             if 'queue="fleet",outcome="written"' in ln]
        env.check(w and int(w[0].split()[-1]) == N,
                  "pull counters: %d written (%r)" % (N, w))
        print("# total %.1fs" % (t4 - t0))
        subprocess.run(["true"])
    env.finish()


if __name__ == "__main__":
    main()
