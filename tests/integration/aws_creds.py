"""aws_creds.py - temporary credentials from IMDSv2 and the ECS / EKS
container endpoint: requests signed with the session token verify;
2-second credentials are refreshed between two sends; credentials the
server expires early are refreshed after ExpiredToken; a metadata GET
without a token is refused (401) and the client recovers by getting a
new token; the container Authorization token is checked; plain http to
a non-loopback container host and tokens with CR/LF are refused."""
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_common import Server, check, finish, parse_send, write_message  # noqa


def sends_ok(out, n):
    rcpts, h = parse_send(out)
    return len(rcpts) == n and all(x[1] == "ok" for x in rcpts)


# 1. IMDSv2, 2-second credentials, send twice with a sleep
srv = Server("--temp-lifetime", "2")
try:
    msgfile = os.path.join(srv.dir, "m.eml")
    write_message(msgfile)
    env = srv.env(AWS_EC2_METADATA_DISABLED=None,
                  AWS_EC2_METADATA_SERVICE_ENDPOINT=srv.meta)
    r = srv.drive(["send", "--repeat", "2", "--sleep", "3", msgfile,
                   "a@example.net"], env)
    check(r.returncode == 0 and sends_ok(r.stdout, 2),
          "imds sends: %s %s" % (r.stdout, r.stderr))
    st = srv.state()
    check(st["creds_issued"] == 2, "credentials fetched twice (%d)" %
          st["creds_issued"])
    check(st["imds_tokens_issued"] == 1, "token reused (%d)" %
          st["imds_tokens_issued"])
    reqs = st["requests"]
    check(len(reqs) == 2 and all(q["ok"] and q["token"] for q in reqs) and
          reqs[0]["key"] != reqs[1]["key"], "signed with each new key")
    check(st["expired_refusals"] == 0 and st["sig_failures"] == 0,
          "no refusals")

    # a GET without a token is refused
    try:
        urllib.request.urlopen(srv.meta + "/latest/meta-data/iam/"
                               "security-credentials/", timeout=5)
        check(False, "token-less GET accepted")
    except urllib.error.HTTPError as e:
        check(e.code == 401, "token-less GET: %d" % e.code)

    # creds subcommand prints the key id only
    r = srv.drive(["creds", "--creds", "imds"], env)
    check(r.returncode == 0 and r.stdout.startswith("creds ASIA") and
          "token=1" in r.stdout, "imds creds: %s" % r.stdout)

    # disabled metadata and nothing else: a clear error
    r = srv.drive(["creds"], srv.env())
    check(r.returncode != 0 and "no credentials" in r.stderr,
          "no credentials: %s" % r.stderr)
finally:
    srv.stop()

# 2. The server expires credentials early (advertises an hour) and
#    forgets metadata tokens: ExpiredToken -> refresh -> 401 -> new token.
srv = Server("--temp-lifetime", "2", "--advertise-lifetime", "3600",
             "--imds-forget-tokens")
try:
    msgfile = os.path.join(srv.dir, "m.eml")
    write_message(msgfile)
    env = srv.env(AWS_EC2_METADATA_DISABLED=None,
                  AWS_EC2_METADATA_SERVICE_ENDPOINT=srv.meta)
    r = srv.drive(["send", "--repeat", "2", "--sleep", "3", msgfile,
                   "a@example.net"], env)
    check(r.returncode == 0 and sends_ok(r.stdout, 2),
          "early expiry sends: %s %s" % (r.stdout, r.stderr))
    st = srv.state()
    check(st["expired_refusals"] == 1, "one ExpiredToken (%d)" %
          st["expired_refusals"])
    check(st["imds_401"] >= 1 and st["imds_tokens_issued"] == 2,
          "401 then a new token (%d, %d)" % (st["imds_401"],
                                            st["imds_tokens_issued"]))
    check(len(st["messages"]) == 2, "both messages stored")
finally:
    srv.stop()

# 3. Container credentials (FULL_URI on loopback + token file)
srv = Server("--ecs-token", "Bearer ecs-token-123")
try:
    msgfile = os.path.join(srv.dir, "m.eml")
    write_message(msgfile)
    tokfile = os.path.join(srv.dir, "ecs-token")
    with open(tokfile, "w") as f:
        f.write("Bearer ecs-token-123\n")
    full = srv.meta + "/ecs/creds"
    env = srv.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=full,
                  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=tokfile,
                  AWS_CONTAINER_AUTHORIZATION_TOKEN="ignored")
    r = srv.drive(["send", msgfile, "a@example.net"], env)
    check(r.returncode == 0 and sends_ok(r.stdout, 1),
          "ecs send: %s %s" % (r.stdout, r.stderr))
    st = srv.state()
    check(st["requests"] and st["requests"][-1]["ok"] and
          st["requests"][-1]["token"], "ecs creds signed with token")
    check(st["ecs_auth_failures"] == 0, "token file preferred")

    env2 = srv.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=full,
                   AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer wrong")
    r = srv.drive(["send", msgfile, "b@example.net"], env2)
    rcpts, h = parse_send(r.stdout)
    check(rcpts and rcpts[0][1] == "temp" and
          "no AWS credentials" in rcpts[0][2] and h and
          h[0]["health"] == "failed", "ecs wrong token: %r" % rcpts)
    check(srv.state()["ecs_auth_failures"] >= 1, "server saw wrong token")

    env3 = srv.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=full,
                   AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer x\r\nX-A: b")
    n = srv.state()["ecs_auth_failures"]
    r = srv.drive(["creds"], env3)
    check(r.returncode != 0 and "CR or LF" in r.stderr,
          "CRLF token refused: %s" % r.stderr)
    check(srv.state()["ecs_auth_failures"] == n, "CRLF token not sent")

    t0 = time.time()
    env4 = srv.env(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://192.0.2.1/x")
    r = srv.drive(["creds"], env4)
    check(r.returncode != 0 and "must be https" in r.stderr and
          time.time() - t0 < 5, "non-loopback http refused: %s" % r.stderr)
finally:
    srv.stop()
finish()
