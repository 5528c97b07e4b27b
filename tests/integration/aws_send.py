"""aws_send.py - SES v2 SendEmail through ses_api_send: the raw message
arrives byte-identical (CRLF) after base64 decoding, every request's
SigV4 signature verifies with botocore (with and without a session
token, with a secret holding ':' '/' '+'), recipients are split into
calls of at most 50, optional fields are filled, a wrong secret is
retried once then reported, and GetAccount is parsed."""
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_common import Server, check, finish, parse_send, write_message  # noqa

# The verifier itself agrees with the reference vector (domain.md 5.1).
sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests",
                                "servers"))
try:
    from aws_server import expected_auth
except ImportError:
    print("skip: python3-botocore is not installed")
    sys.exit(77)
auth = expected_auth(
    "POST", "https://email.us-east-1.amazonaws.com:8088/v2/email/"
    "outbound-emails", {"content-type": "application/json",
                        "host": "email.us-east-1.amazonaws.com:8088"},
    b'{"Content":{"Raw":{"Data":"SGk="}}}', "AKIDEXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "TOKEN123", "ses",
    "us-east-1", "20261123T082650Z")
check(auth.endswith("SignedHeaders=content-type;host;x-amz-date;"
                    "x-amz-security-token, Signature=44a9545b98592dccfed4977"
                    "20ccb0202cd31e1d60d79d46378767af9ef5c29ae"),
      "reference SigV4 vector: %s" % auth)

SECRET = "wJalr:XUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
srv = Server("--static", "AKIDSTATIC|" + SECRET,
             "--static", "ASIATOKEN|tokensecret/1|SESSIONTOKEN123")
try:
    msgfile = os.path.join(srv.dir, "m.eml")
    want = write_message(msgfile, body_lines=400)

    # 1. long-term key from the environment, no token; optional fields
    env = srv.env(AWS_ACCESS_KEY_ID="AKIDSTATIC",
                  AWS_SECRET_ACCESS_KEY=SECRET)
    r = srv.drive(["send", "--region", "eu-west-1", "--sender",
                   "bounces@example.com", "--config-set", "cs1",
                   "--tag", "host=web-1", "--tag", "env=prod",
                   msgfile, "a@example.net", "b@example.org"], env)
    rcpts, health = parse_send(r.stdout)
    check(r.returncode == 0, "send exit %d: %s" % (r.returncode, r.stderr))
    check([x[1] for x in rcpts] == ["ok", "ok"], "results %r" % rcpts)
    st = srv.state()
    check(st["sig_failures"] == 0, "signature failures %d" %
          st["sig_failures"])
    check(len(st["messages"]) == 1, "one SendEmail stored")
    m = st["messages"][0] if st["messages"] else {}
    with open(m.get("file", "/dev/null"), "rb") as f:
        got = f.read()
    check(got == want, "raw message byte-identical (%d vs %d bytes)" %
          (len(got), len(want)))
    check(m.get("to") == ["a@example.net", "b@example.org"], "destination")
    check(m.get("feedback") == "bounces@example.com", "feedback address")
    check(m.get("config_set") == "cs1", "configuration set")
    check(m.get("tags") == [{"Name": "host", "Value": "web-1"},
                            {"Name": "env", "Value": "prod"}], "tags")
    check("FromEmailAddress" not in m.get("keys", []), "no From by default")
    check(health and health[0]["remote_id"] == "0100-mailshim-test-000000",
          "remote id %r" % health)
    check(health and health[0]["peer"] == "127.0.0.1:%d" % srv.https,
          "peer %r" % health)
    req = st["requests"][-1]
    check(req["service"] == "ses" and req["region"] == "eu-west-1" and
          not req["token"] and req["ok"], "signed as ses/eu-west-1: %r" % req)

    # 2. session token (file: source with aws_session_token), FromEmail
    keyfile = os.path.join(srv.dir, "key")
    with open(keyfile, "w") as f:
        f.write("aws_access_key_id = ASIATOKEN\n"
                "aws_secret_access_key = tokensecret/1\n"
                "aws_session_token = SESSIONTOKEN123\n")
    os.chmod(keyfile, 0o600)
    r = srv.drive(["send", "--creds", "file:" + keyfile, "--from",
                   "app@prod.example.com", msgfile, "c@example.net"],
                  srv.env())
    rcpts, _ = parse_send(r.stdout)
    check(r.returncode == 0 and rcpts and rcpts[0][1] == "ok",
          "token send: %s %s" % (r.stdout, r.stderr))
    st = srv.state()
    req = st["requests"][-1]
    check(req["token"] and req["ok"] and req["key"] == "ASIATOKEN",
          "signed with the session token: %r" % req)
    check(st["messages"][-1]["from"] == "app@prod.example.com",
          "FromEmailAddress when asked")

    # 3. 120 recipients: three calls of 50, 50, 20, same content
    before = len(st["messages"])
    rcpt_list = ["r%03d@example.net" % i for i in range(120)]
    r = srv.drive(["send", msgfile] + rcpt_list, env)
    rcpts, _ = parse_send(r.stdout)
    check(r.returncode == 0 and len(rcpts) == 120 and
          all(x[1] == "ok" for x in rcpts), "120 recipients sent")
    st = srv.state()
    calls = st["messages"][before:]
    check([len(c["to"]) for c in calls] == [50, 50, 20],
          "split %r" % [len(c["to"]) for c in calls])
    check(sum((c["to"] for c in calls), []) == rcpt_list,
          "every recipient once, in order")
    check(len({c["sha256"] for c in calls}) == 1 and calls[0]["sha256"] ==
          hashlib.sha256(want).hexdigest(), "same content in each call")
    check(rcpts and rcpts[60][2].startswith("Ok 0100-mailshim-test-"),
          "per-batch message id in reply: %r" % (rcpts[60:61],))

    # 4. empty message and a 1 MB one
    empty = os.path.join(srv.dir, "empty.eml")
    open(empty, "wb").close()
    r = srv.drive(["send", empty, "e@example.net"], env)
    check(r.returncode == 0 and "rcpt e@example.net ok" in r.stdout,
          "empty message: %s %s" % (r.stdout, r.stderr))
    big = os.path.join(srv.dir, "big.eml")
    want_big = write_message(big, body_lines=8000,
                             extra=bytes(range(1, 256)) * 100)
    r = srv.drive(["send", big, "big@example.net"], env)
    st = srv.state()
    with open(st["messages"][-1]["file"], "rb") as f:
        check(r.returncode == 0 and f.read() == want_big,
              "1 MB message byte-identical")

    # 5. wrong secret: one refresh + retry, then MS_TEMP, relay failed
    n_fail = st["sig_failures"]
    bad = srv.env(AWS_ACCESS_KEY_ID="AKIDSTATIC",
                  AWS_SECRET_ACCESS_KEY="not-the-secret")
    r = srv.drive(["send", msgfile, "d@example.net"], bad)
    rcpts, health = parse_send(r.stdout)
    check(rcpts and rcpts[0][1] == "temp" and
          "SignatureDoesNotMatch" in rcpts[0][2], "bad secret: %r" % rcpts)
    check(health and health[0]["health"] == "failed" and
          health[0]["no_count"] == "1", "bad secret health %r" % health)
    check(srv.state()["sig_failures"] == n_fail + 2,
          "exactly one retry after the signature error")
    for out in (r.stdout, r.stderr):
        check("not-the-secret" not in out and SECRET not in out,
              "secret not printed")

    # 6. GetAccount
    r = srv.drive(["account"], env)
    check(r.returncode == 0 and "max_24h=50000 max_rate=14.0 sent_24h=12 "
          "production=0 enabled=1 enforcement=HEALTHY" in r.stdout,
          "account: %s %s" % (r.stdout, r.stderr))
    check(srv.state()["sig_failures"] == n_fail + 2, "GET signed right")

    # 7. AWS_ENDPOINT_URL_SESV2 (botocore's service id SESv2) wins over
    #    AWS_ENDPOINT_URL; the older _SES name still works alone
    for var in ("AWS_ENDPOINT_URL_SESV2", "AWS_ENDPOINT_URL_SES"):
        e = dict(env)
        e["AWS_ENDPOINT_URL"] = "https://127.0.0.1:9"
        e[var] = srv.api
        r = srv.drive(["account"], e)
        check(r.returncode == 0 and "max_24h=50000" in r.stdout,
              "%s: %s" % (var, r.stderr))
finally:
    srv.stop()
finish()
