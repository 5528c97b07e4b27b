"""aws_errors.py - each SES v2 error the server injects maps to the
right per-recipient status, relay health, hold time and no_count, and
so does an answer that is not SES's (a proxy's page); an
expired-token answer refreshes the credentials and retries once; an API
that never answers the TLS handshake gives the "no route to SES API"
advice."""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_common import Server, check, finish, parse_send, write_message  # noqa

# injected error -> (status, health, hold, no_count, text in the reply)
CASES = [
    # throttling: never a failover or a hold (issue 15); the relay's
    # pacer slows and retries (api_flush.py), here no pacer is given
    ("throttle", "temp", "fine", "0", "1", "TooManyRequestsException"),
    ("quota", "temp", "hold", "1800", "1", "Daily message quota"),
    ("notverified", "perm", "fine", "0", "0", "not verified"),
    ("rejpaused", "temp", "hold", "3600", "1", "MessageRejected"),
    ("paused", "temp", "hold", "3600", "1", "SendingPausedException"),
    ("suspended", "temp", "hold", "3600", "1", "AccountSuspendedException"),
    ("mailfrom", "temp", "hold", "600", "1",
     "MailFromDomainNotVerifiedException"),
    ("500", "temp", "failed", "60", "1", "InternalFailure"),
    ("denied", "temp", "failed", "300", "1", "AccessDeniedException"),
    # answers SES never gives (a proxy's page, a wrong endpoint): a 2xx
    # that is not SES's JSON is not a delivery; the message stays
    # queued and the relay fails over, as when SES is not reached
    ("html200", "temp", "failed", "60", "1", "not from SES"),
    ("empty200", "temp", "failed", "60", "1", "not from SES"),
    ("array200", "temp", "failed", "60", "1", "not from SES"),
    ("html502", "temp", "failed", "60", "1", "502 error: no message"),
]

srv = Server("--static", "AKIDSTATIC|s3cr3t")
try:
    msgfile = os.path.join(srv.dir, "m.eml")
    write_message(msgfile)
    env = srv.env(AWS_ACCESS_KEY_ID="AKIDSTATIC",
                  AWS_SECRET_ACCESS_KEY="s3cr3t")
    for name, status, health, hold, no_count, text in CASES:
        srv.inject(name)
        r = srv.drive(["send", msgfile, "a@example.net", "b@example.net"],
                      env)
        rcpts, h = parse_send(r.stdout)
        check(r.returncode == 0, "%s: exit %d %s" % (name, r.returncode,
                                                      r.stderr))
        check(len(rcpts) == 2 and all(x[1] == status and text in x[2]
                                      for x in rcpts),
              "%s: results %r" % (name, rcpts))
        check(h and h[0]["health"] == health and
              (health == "fine" or h[0]["hold"] == hold) and
              h[0]["no_count"] == no_count, "%s: health %r" % (name, h))
    check(len(srv.state()["messages"]) == 0, "nothing stored on errors")

    # With 60 recipients a throttled first call is not a relay failure:
    # the first 50 stay temp, the second call goes out (without a
    # pacer nothing slows or retries here; the relay's pacer does).
    srv.inject("throttle")
    r = srv.drive(["send", msgfile] +
                  ["r%d@example.net" % i for i in range(60)], env)
    rcpts, h = parse_send(r.stdout)
    check(len(rcpts) == 60 and all(x[1] == "temp" for x in rcpts[:50]) and
          all(x[1] == "ok" for x in rcpts[50:]),
          "throttled split: first call temp, second ok")
    check(len(srv.state()["messages"]) == 1, "second batch sent")

    # GetAccount (mailshim check) answered by something that is not SES:
    # a temporary failure naming the call, never a table of zeros.
    for inj, text in (("html200", "ses: GetAccount answer is not a JSON "
                       "object"),
                      ("html502", "ses: GetAccount answered 502")):
        srv.inject(inj)
        r = srv.drive(["account"], env)
        check(r.returncode == 75 and text in r.stderr and
              "account " not in r.stdout,
              "account %s: exit %d %r" % (inj, r.returncode, r.stderr))

    # ExpiredToken: credentials refreshed, one retry, delivered.
    srv.inject("expired")
    r = srv.drive(["send", msgfile, "c@example.net"], env)
    rcpts, h = parse_send(r.stdout)
    check(rcpts and rcpts[0][1] == "ok", "expired then retried: %r" % rcpts)
    check(len(srv.state()["messages"]) == 2, "retry stored the message")

    # An endpoint that accepts TCP but never speaks TLS.
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead.listen(5)
    port = dead.getsockname()[1]
    r = srv.drive(["send", "--connect-timeout", "1", "--endpoint",
                   "https://127.0.0.1:%d" % port, msgfile,
                   "d@example.net"], env, timeout=20)
    dead.close()
    rcpts, h = parse_send(r.stdout)
    check(rcpts and rcpts[0][1] == "temp" and
          "no route to SES API; use SMTP through the VPC endpoint" in
          rcpts[0][2], "timeout advice: %r" % rcpts)
    check(h and h[0]["health"] == "failed", "timeout health %r" % h)

    # Connection refused: temp, relay failed, no VPC advice.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = srv.drive(["send", "--endpoint", "https://127.0.0.1:%d" % port,
                   msgfile, "e@example.net"], env)
    rcpts, h = parse_send(r.stdout)
    check(rcpts and rcpts[0][1] == "temp" and "VPC" not in rcpts[0][2],
          "refused: %r" % rcpts)
finally:
    srv.stop()
finish()
