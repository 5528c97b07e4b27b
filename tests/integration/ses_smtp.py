#!/usr/bin/python3
"""ses_smtp.py - `type = "ses"` relays through `mailshim flush` against
tests/servers/ses_smtpd.py: VPC-endpoint style TLS (TCP to 127.0.0.1, the
certificate only names email-smtp.eu-west-1.amazonaws.com), the password
derived from an IAM key, 50/50/20 splitting with a resend of only the
failed part, silent reconnects after 421, not-verified dead letters with
the operator hint, a wrong-region password (mail stays queued, the log
names the region) and the 40 MB / max_size check without network."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ses_lib import Env, SECRET, KEY_ID, SES_HOST  # noqa: E402

failures = 0


def endpoint_and_password():
    with Env("endpoint") as env:
        s = env.server("ses")
        env.write_conf(env.ses_relay("ses", s), ["ses"])
        env.check(env.send("app@example.com", ["bob@other.org"]) == 0,
                  "queued")
        r = env.flush()
        tx = s.events("tx")
        auth = s.events("auth")
        env.check(len(tx) == 1 and tx[0]["code"] == 250,
                  "delivered through the endpoint with a verified cert")
        env.check(auth and auth[-1]["ok"] and auth[-1]["user"] == KEY_ID,
                  "server accepted the derived password for " + KEY_ID)
        env.check(env.queue_files() == [], "queue empty")
        if tx:
            env.check(tx[0]["id"] in r.stderr,
                      "SES message id in the delivery log line")
        env.check(SECRET not in r.stderr and SECRET not in r.stdout,
                  "secret never logged")
        env.check(re.search(r"B[A-Za-z0-9+/]{43}", r.stderr) is None,
                  "no derived password in the log")
        # Negative control: a certificate name that does not match must
        # fail, so the success above really verified the name.
        env.write_conf(env.ses_relay("ses", s, '  tls_name = "wrong.'
                                     'example.com"\n'), ["ses"])
        env.send("app@example.com", ["carol@other.org"])
        env.flush()
        env.check(len(s.events("tx")) == 1 and len(env.queue_files()) == 1,
                  "wrong tls_name: nothing sent, mail stays queued")
        return env.failures


def split_and_resend():
    with Env("split") as env:
        s = env.server("ses")
        # (a rate: an ses relay is never unpaced, and 120 recipients at
        # the default 1/s would take two minutes)
        env.write_conf(env.ses_relay("ses", s, "  rate = 1000\n"), ["ses"])
        rcpts = ["r%03d@other.org" % i for i in range(120)]
        env.check(env.send("app@example.com", rcpts) == 0, "queued 120")
        s.set(fail_nth=[2], fail_reply="451 Temporary service failure")
        env.flush()
        tx = s.events("tx")
        env.check([t["nrcpt"] for t in tx] == [50, 50, 20],
                  "split 50/50/20 (got %s)" % [t["nrcpt"] for t in tx])
        env.check([t["code"] for t in tx] == [250, 451, 250],
                  "second part failed")
        env.check(len(env.queue_files()) == 1, "message still queued")
        failed = set(tx[1]["rcpts"]) if len(tx) > 1 else set()
        s.set()
        env.mailshim("retry")
        env.flush()
        tx2 = s.events("tx")[len(tx):]
        env.check(len(tx2) == 1 and tx2[0]["code"] == 250 and
                  set(tx2[0]["rcpts"]) == failed and len(failed) == 50,
                  "second flush sent only the 50 that failed")
        env.check(env.queue_files() == [], "queue empty after the resend")
        return env.failures


def reconnect_after_421(at="mail"):
    with Env("421" + at) as env:
        s = env.server("ses", "--max-per-session", "2", "--limit-at", at)
        env.write_conf(env.ses_relay("ses", s), ["ses"])
        for i in range(5):
            env.send("app@example.com", ["n%d@other.org" % i])
        r = env.flush()
        tx = [t for t in s.events("tx") if t["code"] == 250]
        env.check(len(tx) == 5, "all 5 sent (%d)" % len(tx))
        env.check(len(s.events("connect")) >= 3,
                  "server cut sessions after 2 messages; client "
                  "reconnected")
        env.check("status=deferred" not in r.stderr and
                  env.queue_files() == [], "nothing deferred")
        if at == "data":
            env.check(any(t["code"] == 421 for t in s.events("tx")),
                      "the server did answer 421 after DATA")
        env.check("held" not in r.stderr and
                  re.search(r"\b0 errors", r.stderr) is not None,
                  "no relay hold, no error")
        return env.failures


def reconnect_after_421_data():
    return reconnect_after_421("data")


def not_verified():
    with Env("verify") as env:
        s = env.server("ses", "--verified", "example.com", "--sandbox")
        env.write_conf(env.ses_relay("ses", s), ["ses"])
        env.send("app@example.com", ["bob@other.org"])
        env.send("news@unverified.net", ["ann@example.com"])
        env.flush()
        dead = env.state_text("dead")
        env.check(len(env.queue_files("dead")) == 2, "both dead letters")
        env.check("recipient bob@other.org is not verified in SES region "
                  "eu-west-1 (account in the sandbox?)" in dead,
                  "recipient hint in the dead letter")
        env.check("sender news@unverified.net is not verified in SES "
                  "region eu-west-1" in dead, "sender hint in the dead "
                  "letter")
        env.check("EU-WEST-1" in dead, "SES's own reply kept")
        return env.failures


def wrong_region_password():
    with Env("535") as env:
        s = env.server("ses")
        # The password is derived for us-east-1 but the server (like SES
        # in eu-west-1) expects the eu-west-1 one.
        relay = env.ses_relay("ses", s, '  tls_name = "%s"\n' % SES_HOST)
        relay = relay.replace('region = "eu-west-1"', 'region = "us-east-1"')
        env.write_conf(relay, ["ses"])
        env.send("app@example.com", ["bob@other.org"])
        r = env.flush()
        auth = s.events("auth")
        env.check(auth and not auth[-1]["ok"], "server refused the login")
        env.check(s.events("tx") == [], "nothing sent")
        env.check(len(env.queue_files()) == 1 and
                  env.queue_files("dead") == [], "mail stays queued")
        env.check("credentials are wrong for region us-east-1" in r.stderr,
                  "log names the region")
        env.check(SECRET not in r.stderr, "no secret in the log")
        return env.failures


def size_limit():
    with Env("size") as env:
        s = env.server("ses")
        env.write_conf(env.ses_relay("ses", s, "  max_size = 200\n"),
                       ["ses"])
        env.send("app@example.com", ["bob@other.org"], body="x" * 400 + "\n")
        env.flush()
        env.check(s.events("connect") == [], "no connection for a message "
                  "over max_size")
        dead = env.state_text("dead")
        env.check(re.search(r"message is \d+ bytes; SES accepts at most",
                            dead) is not None, "dead with the size reason")
        return env.failures


for case in (endpoint_and_password, split_and_resend, reconnect_after_421,
             reconnect_after_421_data, not_verified, wrong_region_password, size_limit):
    print("#", case.__name__)
    failures += case()
sys.exit(1 if failures else 0)
