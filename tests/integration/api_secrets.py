#!/usr/bin/python3
"""api_secrets.py - relay secrets kept in AWS, end to end through
sendmail -> `mailshim flush`:

  * an smtp relay whose password = "secretsmanager:relay/pass#password"
    (a JSON secret in Secrets Manager) and one whose password comes from
    "ssm:/mailshim/relay#Pass" (an SSM SecureString with the
    {"Host","Port","User","Pass"} layout, fetched WithDecryption) deliver
    to tests/servers/smtpd.py, which checks AUTH;
  * an ses relay with credentials = "secretsmanager:ses/iam" holding an
    IAM key pair as JSON derives the SMTP password for its region
    (tests/servers/ses_smtpd.py checks it);
  * the secret values appear nowhere: not in `mailshim -v flush`'s log,
    `mailshim queue`, `show`, `check`, nor in any file of the spool.
Every Secrets Manager / SSM request's SigV4 signature is checked by the
fake AWS with botocore.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import ApiEnv, AuthSmtpd  # noqa: E402
import ses_lib  # noqa: E402

SIGN_KEY = "AKIASECRETSREADER01"
SIGN_SECRET = "reader/Secret+Key:01"
SM_PASS = "Sm-PaSS-7f3e9a1c"
SSM_PASS = "Ssm-PaSS-42b8d0e6"
SECRETS = {
    "secretsmanager": {
        "relay/pass": json.dumps({"username": "smuser",
                                  "password": SM_PASS}),
        "ses/iam": json.dumps({"aws_access_key_id": ses_lib.KEY_ID,
                               "aws_secret_access_key": ses_lib.SECRET}),
    },
    "ssm": {
        "/mailshim/relay": json.dumps({"Host": "127.0.0.1", "Port": 587,
                                       "User": "ssmuser",
                                       "Pass": SSM_PASS}),
    },
}
VALUES = [SM_PASS, SSM_PASS, ses_lib.SECRET, SIGN_SECRET]



def smtp_relay(env, name, srv, user, password):
    return ('relay "%s" {\n  type = "smtp"\n  host = "127.0.0.1"\n'
            '  port = %d\n  tls = "starttls"\n  ca_file = "%s/ca.pem"\n'
            '  tls_name = "%s"\n  username = "%s"\n  password = "%s"\n'
            '  timeout = 20\n  connect_timeout = 5\n}\n'
            % (name, srv.port, env.certs, ses_lib.SES_HOST, user, password))


def main():
    # The ses relay's IAM key is a real key to the fake AWS too: with no
    # rate it paces by GetAccount (rate = auto), signed with that key.
    with ApiEnv("api-secrets", "--static",
                "%s|%s" % (SIGN_KEY, SIGN_SECRET), "--static",
                "%s|%s" % (ses_lib.KEY_ID, ses_lib.SECRET),
                secrets=SECRETS) as env:
        env.vars.update(AWS_ACCESS_KEY_ID=SIGN_KEY,
                        AWS_SECRET_ACCESS_KEY=SIGN_SECRET,
                        AWS_REGION="us-east-1")
        s_sm = AuthSmtpd(env, "smtpd-sm", "smuser", SM_PASS, "--rcpt-reply",
                     "later@example.net=451 4.3.0 try again later")
        s_ssm = AuthSmtpd(env, "smtpd-ssm", "ssmuser", SSM_PASS)
        env.servers += [s_sm, s_ssm]
        ses = env.server("ses")
        relays = (smtp_relay(env, "viasm", s_sm, "smuser",
                             "secretsmanager:relay/pass#password") +
                  smtp_relay(env, "viassm", s_ssm, "ssmuser",
                             "ssm:/mailshim/relay#Pass") +
                  env.ses_relay("sesiam", ses).replace(
                      'credentials = "file:%s"' % env.keyfile,
                      'credentials = "secretsmanager:ses/iam"'))
        routes = ('route "sm" { senders = {"sm@example.com"} '
                  'relays = {"viasm"} }\n'
                  'route "ssm" { senders = {"ssm@example.com"} '
                  'relays = {"viassm"} }\n')
        env.write_conf(relays + routes, ["sesiam"])
        with open(env.conf) as f:
            env.check("secretsmanager:ses/iam" in f.read(),
                      "ses relay reads its key pair from Secrets Manager")

        for sender, rcpt in (("sm@example.com", "a@example.net"),
                             ("sm@example.com", "later@example.net"),
                             ("ssm@example.com", "b@example.net"),
                             ("app@example.com", "c@other.org")):
            env.check(env.sendmail(
                ("From: %s\nSubject: secret test\n\nbody\n" % sender)
                .encode(), ["-f", sender, rcpt]) == 0, "sendmail " + rcpt)
        r = env.flush()
        env.check(r.returncode == 75, "flush exit %d (75: one deferred "
                  "on purpose)" % r.returncode)
        got = s_sm.messages()
        env.check(len(got) == 1 and got[0]["rcpt_tos"] == ["a@example.net"],
                  "secretsmanager: password worked, mail arrived (%d)"
                  % len(got))
        env.check("(auth ok" in s_sm.session(), "secretsmanager: AUTH ok")
        got = s_ssm.messages()
        env.check(len(got) == 1 and got[0]["rcpt_tos"] == ["b@example.net"],
                  "ssm: password worked, mail arrived (%d)" % len(got))
        env.check("(auth ok" in s_ssm.session(), "ssm: AUTH ok (the "
                  "SecureString was decrypted)")
        tx = [t for t in ses.events("tx") if t.get("code") == 250]
        env.check(len(tx) == 1, "ses relay: the derived SMTP password "
                  "was accepted, mail sent (%d)" % len(tx))
        st = env.aws.state()
        targets = [q["target"] for q in st["requests"]]
        env.check(st["sig_failures"] == 0 and
                  all(q["ok"] for q in st["requests"]),
                  "every AWS request signed right")
        env.check(targets.count("secretsmanager.GetSecretValue") == 2 and
                  targets.count("AmazonSSM.GetParameter") == 1,
                  "each secret fetched once per run, cached for the run: "
                  "%r" % targets)

        queued = env.queue_files()
        env.check(len(queued) == 1, "the deferred one stays queued")
        outputs = {"flush -v": r.stdout + r.stderr}
        for args in (["queue"], ["show"] + queued[:1], ["check"],
                     ["-v", "check"], ["dead"], ["stats"]):
            x = env.mailshim(*args)
            outputs[" ".join(args)] = x.stdout + x.stderr
        chk = outputs["check"]
        env.check("relay viasm" in chk and "relay viassm" in chk,
                  "check probed the relays")
        env.check("FAIL" not in chk.replace("0 failed", ""),
                  "check: no FAIL with secrets from AWS:\n" + chk)
        for what, text in outputs.items():
            env.check(not any(v in text for v in VALUES),
                      "no secret value in `mailshim %s`" % what)
        spool_text = b""
        for root, _, files in os.walk(env.spool):
            for f in files:
                try:
                    with open(os.path.join(root, f), "rb") as fh:
                        spool_text += fh.read()
                except OSError:
                    pass
        env.check(not any(v.encode() in spool_text for v in VALUES),
                  "no secret value written to the spool")
        env.check(not any(v in (s_sm.session() + s_ssm.session())
                          for v in VALUES), "no secret in the SMTP logs "
                  "(AUTH data hidden)")

        # A secret that does not exist: a clear error naming the spec.
        env.write_conf(smtp_relay(env, "viasm", s_sm, "smuser",
                                  "secretsmanager:relay/gone#password"),
                       ["viasm"])
        x = env.mailshim("check")
        env.check(x.returncode != 0 and "relay/gone" in x.stdout + x.stderr,
                  "missing secret: check fails and names it")
        return env.failures


sys.exit(1 if main() else 0)
