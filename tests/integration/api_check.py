#!/usr/bin/python3
"""api_check.py - the SES table of `mailshim check`: for each ses relay,
the region, transport, whether the credentials work, sandbox, sending
paused, enforcement status, 24-hour quota, usage and maximum rate, with
the values the fake AWS's GetAccount returns; a WARN (not a FAIL) when
ses:GetAccount is not allowed; a FAIL when sending is paused or the
credentials are rejected; an SMTP-transport relay with an IAM key file
gets its row too (GetAccount on the regional API), and one with SMTP
credentials only says the quota is unknown. GetEmailIdentity, in the
relay's region, for every identity the routes send as: verified (with
DKIM and MAIL FROM state) is OK; pending or not an identity is a WARN
naming the region; AccessDenied is one WARN naming the IAM action."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import ApiEnv  # noqa: E402
import ses_lib  # noqa: E402

KEY = "ASIACHECKTEST0001"
SECRET = "ch:eck/se+cret=Key0001"
TOKEN = "CheckSessionToken/xyz=="


def table(out):
    """The SES table's rows as lists of cells (header included)."""
    rows, inside = [], False
    for ln in out.splitlines():
        if ln.startswith("SES accounts:"):
            inside = True
            continue
        if inside:
            if not ln.strip():
                break
            rows.append(re.split(r"\s{2,}", ln.strip()))
    return rows


def row_of(rows, relay):
    for r in rows[1:]:
        if r and r[0] == relay:
            return dict(zip([h for h in rows[0]] + ["note"], r))
    return {}


def main():
    with ApiEnv("api-check", "--static", "%s|%s|%s" % (KEY, SECRET, TOKEN),
                "--static", "%s|%s" % (ses_lib.KEY_ID, ses_lib.SECRET)
                ) as env:
        env.vars.update(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET,
                        AWS_SESSION_TOKEN=TOKEN)
        smtp_srv = env.server("ses")
        pw = subprocess.run([ses_lib.MAILSHIM, "ses-password", "--region",
                             ses_lib.REGION], input=ses_lib.SECRET + "\n",
                            capture_output=True, text=True, timeout=10)
        env.check(pw.returncode == 0 and pw.stdout.strip() != "",
                  "ses-password derived the SMTP password")
        pwfile = os.path.join(env.dir, "smtp.pass")
        with open(pwfile, "w") as f:
            f.write("smtp_username = %s\nsmtp_password = %s\n"
                    % (ses_lib.KEY_ID, pw.stdout.strip()))
        os.chmod(pwfile, 0o600)
        relays = (env.api_relay("sesapi") +
                  env.ses_relay("sessmtp", smtp_srv) +
                  env.ses_relay("sesuser", smtp_srv).replace(
                      "file:" + env.keyfile, "file:" + pwfile))
        env.write_conf(relays, ["sesapi"])

        # 1. sandbox, sending enabled: WARN, exit 0, the numbers.
        env.account({"SendQuota": {"Max24HourSend": 200.0,
                                   "MaxSendRate": 1.0,
                                   "SentLast24Hours": 17.0},
                     "ProductionAccessEnabled": False,
                     "SendingEnabled": True,
                     "EnforcementStatus": "HEALTHY"})
        r = env.mailshim("check")
        print("# check:\n" + r.stdout)
        rows = table(r.stdout)
        env.check(rows and rows[0][:10] == [
            "relay", "region", "transport", "credentials", "sandbox",
            "sending", "enforcement", "max 24h", "sent 24h", "max rate"],
            "table header: %r" % (rows[:1],))
        a = row_of(rows, "sesapi")
        env.check(a.get("region") == "eu-west-1" and
                  a.get("transport") == "api" and
                  a.get("credentials") == "ok" and
                  a.get("sandbox") == "yes" and
                  a.get("sending") == "enabled" and
                  a.get("enforcement") == "HEALTHY" and
                  a.get("max 24h") == "200" and a.get("sent 24h") == "17"
                  and a.get("max rate") == "1/s", "api row: %r" % a)
        s = row_of(rows, "sessmtp")
        env.check(s.get("transport") == "smtp" and
                  s.get("credentials") == "ok" and
                  s.get("max 24h") == "200",
                  "smtp relay with an IAM key: GetAccount row %r" % s)
        u = row_of(rows, "sesuser")
        env.check(u.get("transport") == "smtp" and "quota unknown" in
                  " ".join(u.values()), "smtp user/password: quota "
                  "unknown %r" % u)
        env.check(re.search(r"^WARN\s+relay sesapi SES account:.*sandbox",
                            r.stdout, re.M) is not None, "sandbox WARN")
        env.check(u.get("credentials") == "ok", "smtp user/password: the "
                  "SMTP login worked")
        env.check(r.returncode == 0 and "\nFAIL" not in r.stdout,
                  "sandbox alone is no FAIL (exit %d)" % r.returncode)
        env.check(not re.search(r"^FAIL\s+relay sesapi", r.stdout, re.M),
                  "no FAIL for the api relay")
        env.check(re.search(r"^OK\s+relay sesapi pacing: no rate set: "
                            r"0\.80 recipients/s", r.stdout, re.M) and
                  re.search(r"^WARN\s+relay sesuser pacing: no rate set: "
                            r"1 recipient/s", r.stdout, re.M),
                  "check says how each ses relay without rate is paced")
        st = env.aws.state()
        env.check(st["sig_failures"] == 0, "GetAccount signed right")
        env.check(SECRET not in r.stdout + r.stderr and TOKEN not in
                  r.stdout + r.stderr and ses_lib.SECRET not in
                  r.stdout + r.stderr, "no secret in check output")

        # 2. sending paused: FAIL, exit 78, "paused" in the row.
        env.write_conf(env.api_relay("sesapi"), ["sesapi"])
        env.account({"SendQuota": {"Max24HourSend": 50000.0,
                                   "MaxSendRate": 14.0,
                                   "SentLast24Hours": 49000.0},
                     "ProductionAccessEnabled": True,
                     "SendingEnabled": False,
                     "EnforcementStatus": "PROBATION"})
        r = env.mailshim("check")
        print("# check:\n" + r.stdout)
        a = row_of(table(r.stdout), "sesapi")
        env.check(a.get("sandbox") == "no" and a.get("sending") == "paused"
                  and a.get("enforcement") == "PROBATION" and
                  a.get("max 24h") == "50000" and
                  a.get("sent 24h") == "49000" and
                  a.get("max rate") == "14/s", "paused row: %r" % a)
        env.check(r.returncode == 78 and re.search(
            r"^FAIL\s+relay sesapi SES account:.*paused", r.stdout, re.M),
            "paused: FAIL, exit %d" % r.returncode)

        # 3. GetAccount denied: WARN, quota unknown, exit 0.
        env.account(deny=True)
        r = env.mailshim("check")
        print("# check:\n" + r.stdout)
        a = row_of(table(r.stdout), "sesapi")
        env.check(a.get("credentials") == "ok" and
                  "quota unknown (ses:GetAccount not allowed)" in
                  " ".join(a.values()), "denied row: %r" % a)
        env.check(r.returncode == 0 and re.search(
            r"^WARN\s+relay sesapi SES account: quota unknown", r.stdout,
            re.M), "denied: WARN, not FAIL (exit %d)" % r.returncode)

        # 4. credentials rejected: FAIL, exit 78.
        env.account(deny=False)
        env.vars["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
        r = env.mailshim("check")
        print("# check:\n" + r.stdout)
        a = row_of(table(r.stdout), "sesapi")
        env.check(a.get("credentials") == "failed", "rejected row: %r" % a)
        env.check(r.returncode == 78 and re.search(
            r"^FAIL\s+relay sesapi SES account: AWS rejected", r.stdout,
            re.M), "rejected: FAIL, exit %d" % r.returncode)
        env.check("not-the-secret" not in r.stdout + r.stderr,
                  "wrong secret not printed")

        # 6. identities the routes send as, asked with GetEmailIdentity
        #    in the relay's region (SES v2 API): the sender domains, an
        #    exact sender address (covered by its domain, else asked
        #    itself), rewrite_sender, the masquerading domain.
        env.vars["AWS_SECRET_ACCESS_KEY"] = SECRET
        env.account({"SendQuota": {"Max24HourSend": 50000.0,
                                   "MaxSendRate": 14.0,
                                   "SentLast24Hours": 10.0},
                     "ProductionAccessEnabled": True,
                     "SendingEnabled": True,
                     "EnforcementStatus": "HEALTHY"})
        env.aws.admin("identities", {"identities": {
            "example.com": {"verified": True, "mail_from":
                            "bounce.example.com"},
            "ops@other.org": {"verified": True},
            "brand.test": {"verified": False, "status": "PENDING",
                           "dkim": "PENDING"}}})
        routes = ('route "prod" { senders = {"*@example.com", '
                  '"ops@other.org"} relays = {"sesapi"} }\n'
                  'route "brand" { senders = {"*@brand.test"} '
                  'rewrite_sender = "noreply@mail.brand.test" '
                  'relays = {"sesapi"} }\n')
        env.write_conf(env.api_relay("sesapi") + routes, ["sesapi"])
        n0 = len(env.aws.state()["requests"])
        r = env.mailshim("check")
        print("# check:\n" + r.stdout)
        out = r.stdout

        def has(level, ident, text):
            return re.search(r"^%s\s+relay sesapi identity %s: .*%s" % (
                level, re.escape(ident), text), out, re.M) is not None

        env.check(has("OK", "example.com", "in eu-west-1: verified.*"
                      "MAIL FROM bounce.example.com SUCCESS"),
                  "verified domain with its MAIL FROM domain: OK")
        env.check(has("OK", "ops@other.org", "in eu-west-1: verified"),
                  "verified address (its domain is not): OK")
        env.check(has("WARN", "brand.test", r"not verified \(PENDING\).*"
                      "DKIM PENDING"), "pending domain: WARN with DKIM")
        env.check(has("WARN", "noreply@mail.brand.test",
                      "not an SES identity in eu-west-1"),
                  "rewrite_sender not an identity: WARN naming the region")
        env.check(r.returncode == 0, "identity WARNs are no FAIL (exit %d)"
                  % r.returncode)
        reqs = [q for q in env.aws.state()["requests"][n0:]
                if q["path"].startswith("/v2/email/identities")]
        env.check(reqs and all(q["ok"] for q in reqs),
                  "GetEmailIdentity / ListEmailIdentities signed right: "
                  "%r" % [q["path"] for q in reqs])
        env.aws.admin("identities", {"deny": True})
        r = env.mailshim("check")
        env.check(re.search(r"^WARN\s+relay sesapi identities: .*"
                            "ses:GetEmailIdentity", r.stdout, re.M)
                  is not None and r.stdout.count("identities:") == 1,
                  "AccessDenied: one WARN naming the IAM action:\n"
                  + r.stdout)

        # 7. README's IAM policy is one JSON document with the actions
        #    each feature needs (issue 15's list)
        import json
        readme = open(os.path.join(os.environ.get("top_srcdir", "."),
                                   "README")).read()
        i = readme.find('    {\n      "Version"')
        j = readme.find("\n    }\n", i) + 6
        try:
            pol = json.loads(readme[i:j]) if i >= 0 else {}
        except ValueError:
            pol = {}
        acts = {a for st in pol.get("Statement", []) for a in st["Action"]}
        env.check({"ses:SendRawEmail", "ses:SendEmail", "ses:GetAccount",
                   "ses:GetEmailIdentity", "secretsmanager:GetSecretValue",
                   "ssm:GetParameter", "kms:Decrypt",
                   "sts:AssumeRole"} <= acts,
                  "README's IAM policy parses and lists the actions: %r"
                  % sorted(acts))

        # 5. --no-network: no table, no AWS call.
        n = len(env.aws.state()["requests"])
        r = env.mailshim("check", "--no-network")
        env.check("SES accounts:" not in r.stdout and
                  len(env.aws.state()["requests"]) == n,
                  "--no-network: no GetAccount")
        return env.failures


sys.exit(1 if main() else 0)
