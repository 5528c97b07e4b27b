#!/usr/bin/python3
"""ses_faithful.py - the SES test servers refuse what SES refuses, with
SES's own reply texts (tests/servers/ses_rules.py), so that the SES tests
of mailshim cannot pass on a message real SES would refuse. Clients here
are independent of mailshim: Python's smtplib for ses_smtpd.py, botocore's
own sesv2 client for aws_server.py's SendEmail.

  smtp  a good message gets "250 Ok <id>"; To: root, Cc: admin,
        Resent-To: ops, Sender: bare, Reply-To: "x" <zed> each get "554
        Transaction failed: Missing final '@domain'"; a tag value with a
        dot, a configuration set with a space: 554 with SES's texts; the
        51st RCPT: "554 Transaction failed: Recipient count exceeds 50.";
        max_size: "552 Message is too long."; identities per region: a
        sender verified only in us-east-1 is refused by the eu-west-1
        server, naming EU-WEST-1 and the identity, and accepted by the
        us-east-1 server; a subdomain of a verified domain passes; an
        unverified Sender: header is named.
  api   the same rules through SendEmail (BadRequestException,
        MessageRejected with the signed region).
"""
import os
import smtplib
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
from ses_lib import Env, KEY_ID, SECRET, SES_HOST  # noqa: E402

MISSING = "554 Transaction failed: Missing final '@domain'"


def message(extra=b"", frm=b"App <app@example.com>", to=b"bob@other.org"):
    return (b"From: " + frm + b"\r\nTo: " + to + b"\r\n" + extra +
            b"Subject: faithful\r\n\r\nhello\r\n")


def smtp_send(env, server, region, sender, rcpts, data):
    """(code, text) of the first refusal, or of the final reply."""
    from ses_smtpd import ses_password
    ctx = ssl.create_default_context(cafile=os.path.join(env.certs,
                                                         "ca.pem"))
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as c:
        c._host = SES_HOST          # the name the certificate carries
        c.starttls(context=ctx)
        c.login(KEY_ID, ses_password(SECRET, region))
        try:
            refused = c.sendmail(sender, rcpts, data)
        except smtplib.SMTPRecipientsRefused as e:
            refused = e.recipients
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error.decode()
        if refused:
            addr, (code, text) = sorted(refused.items())[-1]
            return code, text.decode()
        return 250, "Ok"


def smtp_cases():
    with Env("faithful") as env:
        eu = env.server("eu", "--verified", "eu-west-1=example.com,"
                        "example.org", "--verified", "us-east-1=us-only.net")
        us = env.server("us", "--verified", "eu-west-1=example.com",
                        "--verified", "us-east-1=us-only.net",
                        "--region", "us-east-1")

        def reply(data, sender="app@example.com", rcpts=("bob@other.org",),
                  srv=eu, region="eu-west-1"):
            return smtp_send(env, srv, region, sender, list(rcpts), data)

        def expect(what, got, code, text):
            env.check(got == (code, text), "%s: %r" % (what, got))

        expect("good message", reply(message()), 250, "Ok")
        for name, data in (
                ("To: root", message(to=b"root")),
                ("Cc: admin", message(b"Cc: admin\r\n")),
                ("Resent-To: ops", message(b"Resent-From: a@example.com"
                                           b"\r\nResent-To: ops\r\n")),
                ("Sender: bare", message(b"Sender: bare\r\n")),
                ("Reply-To: \"x\" <zed>", message(b"Reply-To: \"x\" <zed>"
                                                 b"\r\n")),
                ("From: root (Cron Daemon)",
                 message(frm=b"root (Cron Daemon)"))):
            expect(name, reply(data), 554, MISSING[4:])
        expect("group with no members", reply(message(
            to=b"undisclosed-recipients:;")), 250, "Ok")
        expect("tag value with a dot", reply(message(
            b"X-SES-MESSAGE-TAGS: env=prod.eu\r\n")), 554,
            "Transaction failed: Invalid tag value <prod.eu>: only "
            "alphanumeric ASCII characters, '_', and '-' are allowed.")
        expect("configuration set with a space", reply(message(
            b"X-SES-CONFIGURATION-SET: my set\r\n")), 554,
            "Transaction failed: Configuration set <my set> does not exist.")
        rcpts = ["r%02d@other.org" % i for i in range(51)]
        expect("51 recipients", reply(message(), rcpts=rcpts), 554,
               "Transaction failed: Recipient count exceeds 50.")
        eu.set(max_size=1000)
        expect("over max_size", reply(message((b"X-Pad: " + b"x" * 70 +
                                               b"\r\n") * 15)),
               552, "Message is too long.")
        eu.set()
        expect("sender verified in us-east-1 only, eu-west-1 server",
               reply(message(frm=b"a@us-only.net"), sender="a@us-only.net"),
               554, "Message rejected: Email address is not verified. The "
               "following identities failed the check in region EU-WEST-1: "
               "a@us-only.net")
        expect("same sender, us-east-1 server",
               reply(message(frm=b"a@us-only.net"), sender="a@us-only.net",
                     srv=us, region="us-east-1"), 250, "Ok")
        expect("subdomain of a verified domain",
               reply(message(frm=b"cron@web-1.example.org"),
                     sender="cron@web-1.example.org"), 250, "Ok")
        expect("unverified Sender: header", reply(message(
            b"Sender: someone@elsewhere.net\r\n")), 554,
            "Message rejected: Email address is not verified. The "
            "following identities failed the check in region EU-WEST-1: "
            "someone@elsewhere.net")
        return env.failures


def api_cases():
    import aws_common
    import botocore.session
    from botocore.exceptions import ClientError

    key, secret = "AKIAFAITHFUL00001", "faithful/Secret+1"
    srv = aws_common.Server("--static", "%s|%s" % (key, secret),
                            "--verified", "eu-west-1=example.com",
                            "--verified", "us-east-1=us-only.net")
    failures = 0
    try:
        def send(data, region="eu-west-1", to=("bob@other.org",), **kw):
            c = botocore.session.get_session().create_client(
                "sesv2", region_name=region, endpoint_url=srv.api,
                verify=srv.cert, aws_access_key_id=key,
                aws_secret_access_key=secret)
            try:
                c.send_email(Destination={"ToAddresses": list(to)},
                             Content={"Raw": {"Data": data}}, **kw)
                return "ok", ""
            except ClientError as e:
                return e.response["Error"]["Code"], \
                    e.response["Error"]["Message"]

        def expect(what, got, want):
            nonlocal failures
            ok = got == want
            print(("ok - " if ok else "FAIL - ") + "api %s: %r" % (what, got))
            failures += 0 if ok else 1

        expect("good", send(message()), ("ok", ""))
        expect("To: root", send(message(to=b"root")),
               ("BadRequestException", "Missing final '@domain'"))
        expect("EmailTags value with a colon", send(
            message(), EmailTags=[{"Name": "env", "Value": "a:b"}]),
            ("BadRequestException", "Invalid tag value <a:b>: only "
             "alphanumeric ASCII characters, '_', and '-' are allowed."))
        expect("51 destinations", send(message(), to=[
            "r%02d@other.org" % i for i in range(51)]),
            ("BadRequestException", "Recipient count exceeds 50."))
        expect("From verified in us-east-1 only, signed for eu-west-1",
               send(message(frm=b"a@us-only.net")),
               ("MessageRejected", "Email address is not verified. The "
                "following identities failed the check in region "
                "EU-WEST-1: a@us-only.net"))
        expect("same, signed for us-east-1", send(
            message(frm=b"a@us-only.net"), region="us-east-1"), ("ok", ""))
    finally:
        srv.stop()
    return failures


failures = 0
for case in (smtp_cases, api_cases):
    print("#", case.__name__)
    failures += case()
print("#", "ok" if not failures else "%d failure(s)" % failures)
sys.exit(1 if failures else 0)
