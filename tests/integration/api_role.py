#!/usr/bin/python3
"""api_role.py - a ses relay that names role_arn (a central sending
account, seeds 000/001): `mailshim flush` assumes the role through STS
AssumeRole (signed with the relay's own credentials, ExternalId passed)
and sends with the role's temporary credentials; the fake AWS checks
every signature with botocore. role_arn on an SMTP-transport relay is a
configuration error (SES SMTP needs a long-term key). AWS_PROFILE naming
a profile that does not exist is an error naming it in check and in
flush -v; nothing is sent with another identity."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import ApiEnv  # noqa: E402

KEY, SECRET = "AKIAWORKLOADACCOUNT01", "workload/Secret+Key"
ROLE = "arn:aws:iam::444455556666:role/mailshim-sender"


def main():
    with ApiEnv("api-role", "--static", "%s|%s" % (KEY, SECRET)) as env:
        env.vars.update(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
        env.write_conf(env.api_relay(
            "sesapi", '  rate = 100\n  role_arn = "%s"\n'
            '  external_id = "ext-central-7"\n' % ROLE), ["sesapi"])
        env.check(env.sendmail(b"From: app@example.com\nSubject: role\n\n"
                               b"body\n", ["-f", "app@example.com",
                                           "a@example.net"]) == 0,
                  "sendmail")
        r = env.flush()
        env.check(r.returncode == 0 and env.queued_ids() == [],
                  "sent with the role (exit %d): %s"
                  % (r.returncode, r.stderr[-500:]))
        st = env.aws.state()
        sts = st["sts"]
        env.check(len(sts) == 1 and sts[0]["action"] == "AssumeRole" and
                  sts[0]["role"] == ROLE and sts[0]["caller"] == KEY and
                  sts[0]["external_id"] == "ext-central-7",
                  "AssumeRole signed by the relay's key with ExternalId: "
                  "%r" % sts)
        sends = [q for q in st["requests"]
                 if q["path"] == "/v2/email/outbound-emails"]
        env.check(sends and all(q["ok"] and q["key"].startswith("ASIA") and
                                q["token"] for q in sends),
                  "SendEmail signed with the role's temporary key: %r"
                  % sends)
        env.check(st["sig_failures"] == 0, "every signature checked")

        # A named profile that does not exist is an error naming it, in
        # check and in flush -v, never a fall-through to another identity
        # (botocore raises ProfileNotFound; aws_parity.py compares).
        env.vars["AWS_PROFILE"] = "nosuch"
        x = env.mailshim("check")
        env.check(x.returncode != 0 and "profile nosuch not found" in
                  x.stdout + x.stderr, "check names the missing profile: %s"
                  % (x.stdout + x.stderr)[-400:])
        env.check(env.sendmail(b"From: app@example.com\nSubject: p\n\nb\n",
                               ["-f", "app@example.com", "b@example.net"])
                  == 0, "sendmail 2")
        n = len(env.aws.state()["requests"])
        r = env.flush()
        env.check("profile nosuch not found" in r.stderr and
                  len(env.queued_ids()) == 1 and
                  len(env.aws.state()["requests"]) == n,
                  "flush -v names it, sends nothing, keeps the mail: %s"
                  % r.stderr[-400:])
        env.vars.pop("AWS_PROFILE")

        env.write_conf(env.ses_relay("sessmtp", env.server("ses"),
                                     '  role_arn = "%s"\n' % ROLE),
                       ["sessmtp"])
        x = env.mailshim("check")
        env.check(x.returncode != 0 and "role_arn needs transport" in
                  x.stdout + x.stderr, "role_arn with SMTP refused: %s"
                  % (x.stdout + x.stderr)[-400:])
        return env.failures


sys.exit(1 if main() else 0)
