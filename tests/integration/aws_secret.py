"""aws_secret.py - secretsmanager: and ssm: secret sources: values and
#keys are fetched with signed requests (services secretsmanager / ssm,
WithDecryption), cached per run, the region comes from the ARN, the
environment or instance metadata, and no secret value ever appears on
stderr (verbose logging on) or in error messages."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_common import Server, check, finish  # noqa

S1, S2, S3 = "Sm-pass/one+1", "plain-SECRET-two", "Ssm:pass#3"
ARN = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:plain-AbCdEf"
secrets = {
    "secretsmanager": {
        "ses/smtp": json.dumps({"username": "AKIAUSER", "password": S1}),
        "plain": S2,
        ARN: S2,
    },
    "ssm": {"/MailDelivery/Ticket/Demo": json.dumps(
        {"Host": "demo-smtp.host.com", "Port": 25, "User": "u",
         "Pass": S3})},
}
srv = Server("--static", "AKIDSTATIC|k3y", "--region", "ap-northeast-1",
             secrets=secrets)
try:
    env = srv.env(AWS_ACCESS_KEY_ID="AKIDSTATIC",
                  AWS_SECRET_ACCESS_KEY="k3y", AWS_REGION="us-west-2",
                  AWS_DRIVE_VERBOSE="1")
    specs = ["secretsmanager:ses/smtp#password",
             "secretsmanager:ses/smtp#username", "secretsmanager:plain",
             "ssm:/MailDelivery/Ticket/Demo#Pass",
             "ssm:/MailDelivery/Ticket/Demo#Port",
             "secretsmanager:" + ARN]
    r = srv.drive(["secret"] + specs, env)
    check(r.returncode == 0, "secret exit %d: %s" % (r.returncode, r.stderr))
    want = [S1, "AKIAUSER", S2, S3, "25", S2]
    for spec, value in zip(specs, want):
        check("secret %s %s\n" % (spec, value) in r.stdout,
              "value for %s" % spec)
    st = srv.state()
    reqs = st["requests"]
    check(st["sig_failures"] == 0 and all(q["ok"] for q in reqs),
          "all signed right")
    check([q["target"] for q in reqs] ==
          ["secretsmanager.GetSecretValue"] * 2 + ["AmazonSSM.GetParameter",
                                                   "secretsmanager."
                                                   "GetSecretValue"],
          "one request per secret (cache): %r" %
          [q["target"] for q in reqs])
    check([q["service"] for q in reqs] ==
          ["secretsmanager", "secretsmanager", "ssm", "secretsmanager"],
          "signing services")
    check([q["region"] for q in reqs] ==
          ["us-west-2", "us-west-2", "us-west-2", "eu-west-3"],
          "regions (env, ARN): %r" % [q["region"] for q in reqs])
    for s in (S1, S2, S3, "k3y"):
        check(s not in r.stderr, "stderr leaks a secret")

    # errors: not found, missing key, not JSON; values never in messages
    r = srv.drive(["secret", "secretsmanager:missing",
                   "secretsmanager:plain#password",
                   "ssm:/MailDelivery/Ticket/Demo#Nope"], env)
    check(r.returncode != 0 and r.stdout == "", "errors: %s" % r.stdout)
    check("ResourceNotFoundException" in r.stderr and
          "not a JSON object" in r.stderr and "#Nope" in r.stderr,
          "error texts: %s" % r.stderr)
    for s in (S1, S2, S3, "k3y"):
        check(s not in r.stderr, "error text leaks a secret")

    # region from instance metadata when the environment has none
    env = srv.env(AWS_ACCESS_KEY_ID="AKIDSTATIC",
                  AWS_SECRET_ACCESS_KEY="k3y", AWS_EC2_METADATA_DISABLED=None,
                  AWS_EC2_METADATA_SERVICE_ENDPOINT=srv.meta)
    r = srv.drive(["secret", "secretsmanager:plain"], env)
    check(r.returncode == 0 and S2 in r.stdout, "imds region: %s" % r.stderr)
    check(srv.state()["requests"][-1]["region"] == "ap-northeast-1",
          "region from placement/region")

    # the order: ARN, relay region, AWS_REGION, profile region, IMDS
    # (botocore reads the profile's region after the environment's)
    cfg = os.path.join(srv.dir, "aws-config")
    with open(cfg, "w") as f:
        f.write("[default]\nregion = ca-central-1\n"
                "[profile other]\nRegion = sa-east-1\n")
    keys = {"AWS_ACCESS_KEY_ID": "AKIDSTATIC",
            "AWS_SECRET_ACCESS_KEY": "k3y", "AWS_CONFIG_FILE": cfg}

    def region_of(args, **extra):
        r = srv.drive(["secret"] + args + ["secretsmanager:plain"],
                      srv.env(**dict(keys, **extra)))
        if r.returncode != 0:
            return "exit %d: %s" % (r.returncode, r.stderr.strip())
        return srv.state()["requests"][-1]["region"]

    got = region_of(["--region", "eu-north-1"], AWS_REGION="us-west-2")
    check(got == "eu-north-1", "relay region before AWS_REGION: %s" % got)
    got = region_of([], AWS_DEFAULT_REGION="us-east-2")
    check(got == "us-east-2", "AWS_DEFAULT_REGION before profile: %s" % got)
    got = region_of([])
    check(got == "ca-central-1", "profile region: %s" % got)
    got = region_of([], AWS_PROFILE="other")
    check(got == "sa-east-1", "AWS_PROFILE's region: %s" % got)
    got = region_of([], AWS_CONFIG_FILE=os.path.join(srv.dir, "none"))
    check(got.startswith("exit 78") and "no AWS region" in got,
          "no region anywhere is a config error (78): %s" % got)

    # AWS_ENDPOINT_URL_SECRETS_MANAGER wins over AWS_ENDPOINT_URL
    n = len(srv.state()["requests"])
    r = srv.drive(["secret", "secretsmanager:plain"], srv.env(
        AWS_ENDPOINT_URL="https://127.0.0.1:9",
        AWS_ENDPOINT_URL_SECRETS_MANAGER=srv.api, AWS_REGION="us-west-2",
        **keys))
    check(r.returncode == 0 and len(srv.state()["requests"]) == n + 1,
          "service endpoint override: %s" % r.stderr)
finally:
    srv.stop()
finish()
