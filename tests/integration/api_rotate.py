#!/usr/bin/python3
"""api_rotate.py - a relay secret kept in AWS Secrets Manager is rotated
while `mailshim flush --watch` runs:

  1. default secret_ttl (5 min): the ses relay's IAM key pair
     (credentials = "secretsmanager:ses/iam") is replaced in the fake
     Secrets Manager and in the fake SES SMTP server (the old key stops
     working, as after an IAM key rotation). The next message gets 535
     with the old key; mailshim reads the secret again, rebuilds the SMTP
     session with the new key and the message goes out: nothing deferred,
     no hold, no second relay.
  2. secret_ttl = "1s": after a rotation the next message goes out with
     the new key at the first try (the secret is re-read because it aged
     out, not because of a 535).
Every Secrets Manager request's SigV4 signature is checked by botocore.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import ApiEnv, wait_for  # noqa: E402
import ses_lib  # noqa: E402

SIGN_KEY = "AKIASECRETSREADER01"
SIGN_SECRET = "reader/Secret+Key:01"
KEY2, SECRET2 = "AKIAROTATEDKEY000002", "rotated/Secret+Key/2ab"
KEY3, SECRET3 = "AKIAROTATEDKEY000003", "rotated/Secret+Key/3cd"


def keypair(key, secret):
    return json.dumps({"aws_access_key_id": key,
                       "aws_secret_access_key": secret})



def main():
    secrets = {"secretsmanager": {"ses/iam": keypair(ses_lib.KEY_ID,
                                                     ses_lib.SECRET)}}
    with ApiEnv("api-rotate", "--static",
                "%s|%s" % (SIGN_KEY, SIGN_SECRET), secrets=secrets) as env:
        env.vars.update(AWS_ACCESS_KEY_ID=SIGN_KEY,
                        AWS_SECRET_ACCESS_KEY=SIGN_SECRET,
                        AWS_REGION="us-east-1")
        ses = env.server("ses")
        relay = env.ses_relay("sesrot", ses).replace(
            'credentials = "file:%s"' % env.keyfile,
            'credentials = "secretsmanager:ses/iam"')
        _, capture = env.maildir_relay("capture")
        hold = os.path.join(env.spool, "run", "hold-sesrot")

        def run_watch(extra, tag, relays=None, route=None):
            env.write_conf(relays or relay + capture,
                           route or ["sesrot", "capture"], extra)
            log = open(os.path.join(env.dir, "watch-%s.log" % tag), "w")
            w = subprocess.Popen([ses_lib.MAILSHIM, "-C", env.conf, "-v",
                                  "flush", "--watch"], env=env.environ(),
                                 stdout=log, stderr=log)
            return w, log

        def stop_watch(w, log):
            if w.poll() is None:
                w.terminate()
                try:
                    w.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    w.kill()
                    w.wait(timeout=5)
            log.close()
            with open(log.name) as f:
                return f.read()

        def sent():
            return [t for t in ses.events("tx") if t.get("code") == 250]

        def send(n):
            return env.sendmail(
                ("From: app@example.com\nSubject: rotate %d\n\nbody\n" % n)
                .encode(), ["-f", "app@example.com", "r%d@example.net" % n])

        def rotate(key, secret):
            env.aws.admin("secret", {"service": "secretsmanager",
                                     "id": "ses/iam",
                                     "value": keypair(key, secret)})
            ses.set(key_id=key, secret=secret)

        # 1. default secret_ttl: the 535 path
        w, log = run_watch("", "535")
        try:
            env.check(send(1) == 0, "sendmail 1")
            env.check(wait_for(lambda: len(sent()) == 1, 30),
                      "message 1 sent with the first key")
            rotate(KEY2, SECRET2)
            env.check(send(2) == 0, "sendmail 2")
            env.check(wait_for(lambda: len(sent()) == 2, 40),
                      "message 2 sent after the rotation (%d sent)"
                      % len(sent()))
        finally:
            text = stop_watch(w, log)
        auths = ses.events("auth")
        env.check(any(not a["ok"] and a["user"] == ses_lib.KEY_ID
                      for a in auths),
                  "the old key was refused once (535): %r" % auths)
        env.check(auths and auths[-1]["ok"] and auths[-1]["user"] == KEY2,
                  "then the new key logged in: %r" % auths[-1:])
        env.check(not os.path.exists(hold), "the relay was not held")
        env.check(env.queue_files() == [] and env.queue_files("dead") == [],
                  "nothing queued or dead: %r" % env.queue_files())
        env.check(not os.listdir(os.path.join(env.dir, "maildir-capture",
                                              "new"))
                  if os.path.isdir(os.path.join(env.dir, "maildir-capture",
                                                "new")) else True,
                  "nothing failed over to the second relay")
        env.check("reading the credentials again" in text,
                  "the log says why it retried")
        env.check(not any(v in text for v in (ses_lib.SECRET, SECRET2,
                                              SIGN_SECRET)),
                  "no secret in the log")

        # 2. secret_ttl = 1s: re-read before any failure
        n_auth_fail = sum(1 for a in ses.events("auth") if not a["ok"])
        w, log = run_watch('secret_ttl = "1s"\n', "ttl")
        try:
            env.check(send(3) == 0, "sendmail 3")
            env.check(wait_for(lambda: len(sent()) == 3, 30),
                      "message 3 sent")
            rotate(KEY3, SECRET3)
            time.sleep(1.5)
            env.check(send(4) == 0, "sendmail 4")
            env.check(wait_for(lambda: len(sent()) == 4, 40),
                      "message 4 sent after the rotation (%d sent)"
                      % len(sent()))
        finally:
            stop_watch(w, log)
        auths = ses.events("auth")
        env.check(sum(1 for a in auths if not a["ok"]) == n_auth_fail,
                  "no login refused: the aged secret was read again first")
        env.check(auths[-1]["ok"] and auths[-1]["user"] == KEY3,
                  "the newest key logged in: %r" % auths[-1:])
        st = env.aws.state()
        # (GetAccount for rate = auto is refused: the SMTP relay's key is
        # not one the fake API knows; the relay then paces at 1/s)
        sm = [q for q in st["requests"] if q["service"] == "secretsmanager"]
        env.check(sm and all(q["ok"] for q in sm),
                  "every Secrets Manager request signed right")
        env.check(not os.path.exists(hold), "the relay was not held")

        # 3. transport = "api" with the IAM key pair in Secrets Manager
        #    (credentials = "secretsmanager:..."), rate = auto: the pair
        #    signs GetAccount and SendEmail; after a key rotation the
        #    refused key makes mailshim read the secret again.
        KEYA, SECA = "AKIAAPIKEYPAIR00000A", "api/Secret+A"
        KEYB, SECB = "AKIAAPIKEYPAIR00000B", "api/Secret+B"
        env.aws.admin("static", {"add": {KEYA: SECA}})
        env.aws.admin("secret", {"service": "secretsmanager",
                                 "id": "ses/api", "value": json.dumps(
                                     {"AccessKeyId": KEYA,
                                      "SecretAccessKey": SECA})})
        api_relay = env.api_relay("sesapi", '  rate = "auto"\n'
                                  '  credentials = "secretsmanager:ses/api"'
                                  '\n')
        n0 = len(env.aws.state()["requests"])
        w, log = run_watch("", "api", api_relay, ["sesapi"])
        try:
            env.check(send(5) == 0, "sendmail 5")
            env.check(wait_for(lambda: env.queued_ids() == [], 30),
                      "message 5 sent")
            reqs = env.aws.state()["requests"][n0:]
            api = [q for q in reqs if q["service"] == "ses"]
            env.check(api and all(q["ok"] and q["key"] == KEYA
                                  for q in api) and
                      any(q["path"] == "/v2/email/account" for q in api),
                      "api relay: GetAccount and SendEmail signed with "
                      "the pair from the secret: %r" % api)
            env.aws.admin("static", {"add": {KEYB: SECB},
                                     "remove": [KEYA]})
            env.aws.admin("secret", {"service": "secretsmanager",
                                     "id": "ses/api", "value": json.dumps(
                                         {"aws_access_key_id": KEYB,
                                          "aws_secret_access_key": SECB})})
            n1 = len(env.aws.state()["requests"])
            env.check(send(6) == 0, "sendmail 6")
            env.check(wait_for(lambda: env.queued_ids() == [], 30),
                      "message 6 sent after the key rotation")
        finally:
            text = stop_watch(w, log)
        env.check("4.00 recipients/s" in text,
                  "rate = auto from GetAccount with those keys")
        reqs = [q for q in env.aws.state()["requests"][n1:]
                if q["service"] == "ses"]
        env.check(any(q["key"] == KEYA and not q["ok"] for q in reqs) and
                  reqs[-1]["ok"] and reqs[-1]["key"] == KEYB,
                  "old pair refused, then the secret read again and the "
                  "new pair used: %r" % reqs)
        return env.failures


sys.exit(1 if main() else 0)
