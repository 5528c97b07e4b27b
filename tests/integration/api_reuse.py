#!/usr/bin/python3
"""api_reuse.py - the SES v2 API transport keeps its HTTPS connection
between calls (issue 18: performance where it matters to SES users):

  1. one flusher sending 8 one-recipient messages makes 8 SendEmail
     calls over at most 2 TCP connections (one would do; a second is
     allowed should the server close an idle one) - a handshake per
     message costs SES users a round trip and a TLS set-up each;
  2. `flush --workers 3` with rate = auto (GetAccount is asked in the
     parent before the workers fork): every message is sent exactly once
     and each process uses connections of its own (at most one per
     worker plus the parent's), never one inherited from the parent -
     two processes on one TLS connection would garble both.
The counts come from the server (api_lib.py counts accepted
connections), not from mailshim.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import ApiEnv  # noqa: E402

KEY, SECRET = "AKIAREUSETEST0000001", "reuse/Secret+Key"


def main():
    with ApiEnv("api-reuse", "--static", "%s|%s" % (KEY, SECRET)) as env:
        env.vars.update(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET,
                        AWS_ENDPOINT_URL=None)

        def send(n, tag):
            for i in range(n):
                env.check(env.sendmail(
                    ("From: app@example.com\nSubject: %s %d\n\nbody\n"
                     % (tag, i)).encode(),
                    ["-f", "app@example.com",
                     "%s%d@example.net" % (tag, i)]) == 0,
                    "sendmail %s %d" % (tag, i))

        # 1. one flusher, 8 messages
        env.write_conf(env.api_relay("sesapi", '  rate = 100\n'),
                       ["sesapi"])
        send(8, "one")
        t = env.times()
        sends0, conns0 = len(t["sends"]), t["conns"]
        r = env.flush()
        env.check(r.returncode == 0, "flush 1 exit %d: %s"
                  % (r.returncode, (r.stdout + r.stderr)[-600:]))
        t = env.times()
        # the /_admin/times asks of this test are connections too
        conns = t["conns"] - conns0 - 1
        env.check(len(t["sends"]) - sends0 == 8,
                  "8 SendEmail calls (%d)" % (len(t["sends"]) - sends0))
        env.check(conns <= 2, "8 calls over %d connections (<= 2)" % conns)

        # 2. workers after a GetAccount in the parent
        env.write_conf(env.api_relay("sesauto"), ["sesauto"])
        send(9, "many")
        t = env.times()
        sends0, conns0 = len(t["sends"]), t["conns"]
        r = env.mailshim("flush", "--workers", "3")
        env.check(r.returncode == 0, "flush 2 exit %d: %s"
                  % (r.returncode, (r.stdout + r.stderr)[-600:]))
        t = env.times()
        conns = t["conns"] - conns0 - 1
        env.check(len(t["sends"]) - sends0 == 9,
                  "9 SendEmail calls (%d)" % (len(t["sends"]) - sends0))
        got = {}
        for m in env.aws.state()["messages"]:
            for rc in m["to"]:
                if rc.startswith("many"):
                    got[rc] = got.get(rc, 0) + 1
        env.check(sorted(got) == sorted("many%d@example.net" % i
                                        for i in range(9)) and
                  set(got.values()) == {1},
                  "each of 9 sent exactly once: %s" % got)
        env.check(conns <= 4, "3 workers and the parent used %d "
                  "connections (<= 4)" % conns)
        return env.failures


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
