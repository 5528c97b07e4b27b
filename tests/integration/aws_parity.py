"""aws_parity.py - the credential chain against botocore, the reference.

For each setup (environment keys, shared files, [profile default],
upper-case keys, AWS_PROFILE, assume-role profiles with source_profile,
chains and credential_source, web identity from the environment and
from a profile, SSO, credential_process, container, IMDSv2, missing
profiles and failing sources) the same environment and files are given
to botocore (aws_botocreds.py: Session().get_credentials()) and to
mailshim (tests/unit/aws_drive creds), both talking to the same fake
STS / container / instance metadata endpoints of aws_server.py (which
checks STS signatures with botocore and, with --fixed-creds, derives
the keys it issues from the request). Expected: botocore and mailshim
resolve the same key id, secret, token and expiry, or both fail; the
expected values are botocore's, not ours.
"""
import json
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_common import Server, check, finish  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BOTO = os.path.join(HERE, "aws_botocreds.py")
PY = os.environ.get("PYTHON3", "/usr/bin/python3")


def botocore_creds(env, profile):
    r = subprocess.run([PY, BOTO, profile or ""], env=env,
                       capture_output=True, text=True, timeout=60)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": "crash", "msg": r.stderr[-300:]}


def mailshim_creds(srv, env, profile):
    src = "profile:" + profile if profile else "chain"
    r = srv.drive(["creds", "--creds", src], env, timeout=60)
    if r.returncode != 0:
        return {"error": "exit %d" % r.returncode, "msg": r.stderr.strip()}
    f = r.stdout.split()
    d = dict(kv.split("=", 1) for kv in f[2:])
    return {"key": f[1], "token": d["token"] == "1",
            "expires": int(d["expires"]), "digest": d["digest"]}


srv = Server("--fixed-creds", "--ecs-token", "Bearer ecs-123",
             "--web-token", "eyJ.web.token",
             "--deny-role", "arn:aws:iam::123456789012:role/denied",
             "--static", "AKIDBASE|base/secret+1",
             "--static", "AKIDENV|envsecret")
try:
    D = srv.dir
    tokfile = os.path.join(D, "web-token")
    with open(tokfile, "w") as f:
        f.write("eyJ.web.token")
    proc = os.path.join(D, "cred proc.sh")
    with open(proc, "w") as f:
        f.write('#!/bin/sh\n'
                'if [ "$1" = fail ]; then echo nope >&2; exit 3; fi\n'
                'printf \'{"Version": 1, "AccessKeyId": "AKIDPROC%s%s", '
                '"SecretAccessKey": "proc/secret", "SessionToken": '
                '"proctok", "Expiration": "2035-01-02T03:04:05Z"}\\n\' '
                '"$#" "$(printf %s "$1" | tr " " _)"\n')
    os.chmod(proc, stat.S_IRWXU)
    badproc = os.path.join(D, "badproc.sh")
    with open(badproc, "w") as f:
        f.write('#!/bin/sh\necho \'{"Version": 2, "AccessKeyId": "A", '
                '"SecretAccessKey": "B"}\'\n')
    os.chmod(badproc, stat.S_IRWXU)
    ROLE = "arn:aws:iam::123456789012:role/"

    CREDS = """
[default]
aws_access_key_id = AKIDBASE
aws_secret_access_key = base/secret+1

[base]
aws_access_key_id = AKIDBASE
aws_secret_access_key = base/secret+1

[selfref]
aws_access_key_id = AKIDBASE
aws_secret_access_key = base/secret+1
"""
    CONFIG = """
[profile role]
role_arn = %(r)smailer
source_profile = base
external_id = ext-42
role_session_name = mailshim-test
duration_seconds = 900
region = eu-west-1

[profile chain2]
role_arn = %(r)ssecond
source_profile = role

[profile selfref]
role_arn = %(r)sself
source_profile = selfref

[profile fromenv]
role_arn = %(r)senv
credential_source = Environment

[profile fromecs]
role_arn = %(r)secs
credential_source = EcsContainer

[profile fromimds]
role_arn = %(r)simds
credential_source = Ec2InstanceMetadata

[profile badsource]
role_arn = %(r)sx
credential_source = Nowhere

[profile nosource]
role_arn = %(r)sx
source_profile = ghost

[profile denied]
role_arn = %(r)sdenied
source_profile = base

[profile web]
role_arn = %(r)sweb
web_identity_token_file = %(tok)s
role_session_name = websess

[profile sso]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = Mailer

[profile mfa]
role_arn = %(r)smfa
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/ops

[profile proc]
credential_process = "%(proc)s" 'one two'
aws_access_key_id = AKIDCONFIGKEYS
aws_secret_access_key = never-used

[profile procfail]
credential_process = "%(proc)s" fail

[profile procbad]
credential_process = %(bad)s

[profile Upper]
AWS_Access_Key_ID = AKIDUPPER
AWS_SECRET_ACCESS_KEY = upper/secret

[profile   spaced  ]
aws_access_key_id = AKIDSPACED
aws_secret_access_key = spaced

[profile empty]
region = us-west-2
""" % {"r": ROLE, "tok": tokfile, "proc": proc, "bad": badproc}
    CONFIG_PDEFAULT = """
[profile default]
Aws_Access_Key_Id = AKIDPDEFAULT
aws_secret_access_key = pdefault/secret
"""

    def files(name, creds, config):
        cp = os.path.join(D, name + ".credentials")
        fp = os.path.join(D, name + ".config")
        for path, text in ((cp, creds), (fp, config)):
            if text is not None:
                with open(path, "w") as f:
                    f.write(text)
        return {"AWS_SHARED_CREDENTIALS_FILE": cp, "AWS_CONFIG_FILE": fp}

    std = files("std", CREDS, CONFIG)
    nocreds = files("nocreds", None, CONFIG)
    pdef = files("pdef", None, CONFIG_PDEFAULT)
    none = files("none", None, None)
    envkeys = {"AWS_ACCESS_KEY_ID": "AKIDENV",
               "AWS_SECRET_ACCESS_KEY": "envsecret"}
    # (the token file is aws_creds.py's: Debian's botocore predates it)
    ecs = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.meta + "/ecs/creds",
           "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer ecs-123"}
    imds = {"AWS_EC2_METADATA_DISABLED": None,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": srv.meta}
    webenv = {"AWS_ROLE_ARN": ROLE + "irsa",
              "AWS_WEB_IDENTITY_TOKEN_FILE": tokfile,
              "AWS_ROLE_SESSION_NAME": "irsa-pod"}

    # (name, files, extra env, explicit profile, expected outcome)
    CASES = [
        ("env keys", std, dict(envkeys), None, "ok"),
        ("env keys, token, expiry", none, dict(
            envkeys, AWS_SESSION_TOKEN="envtok",
            AWS_CREDENTIAL_EXPIRATION="2035-06-07T08:09:10Z"), None, "ok"),
        ("env wins over AWS_PROFILE", std,
         dict(envkeys, AWS_PROFILE="role"), None, "ok"),
        ("shared file default", std, {}, None, "ok"),
        ("[profile default] in config, mixed-case key", pdef, {}, None,
         "ok"),
        ("upper-case keys", std, {"AWS_PROFILE": "Upper"}, None, "ok"),
        ("spaced section header", std, {"AWS_PROFILE": "spaced"}, None,
         "ok"),
        ("assume role: source_profile, external_id, duration", std,
         {"AWS_PROFILE": "role"}, None, "ok"),
        ("assume role, explicit profile", std, dict(envkeys), "role",
         "ok"),
        ("assume role chain of two", std, {"AWS_PROFILE": "chain2"}, None,
         "ok"),
        ("assume role, source_profile is itself", std,
         {"AWS_PROFILE": "selfref"}, None, "ok"),
        ("credential_source Environment", std, dict(envkeys), "fromenv",
         "ok"),
        ("credential_source EcsContainer", std, dict(ecs), "fromecs",
         "ok"),
        ("credential_source Ec2InstanceMetadata", std, dict(imds),
         "fromimds", "ok"),
        ("credential_source invalid", std, {}, "badsource", "error"),
        ("source_profile missing", std, {}, "nosource", "error"),
        ("AssumeRole denied", std, {}, "denied", "error"),
        ("web identity from the environment, before shared files", std,
         dict(webenv), None, "ok"),
        ("web identity from a profile", std, {"AWS_PROFILE": "web"}, None,
         "ok"),
        ("SSO profile", std, {"AWS_PROFILE": "sso"}, None, "error"),
        ("credential_process (no shell, quoted words), before config "
         "keys", std, {"AWS_PROFILE": "proc"}, None, "ok"),
        ("credential_process fails", std, {"AWS_PROFILE": "procfail"},
         None, "error"),
        ("credential_process Version 2", std, {"AWS_PROFILE": "procbad"},
         None, "error"),
        ("container (full URI, token)", none, dict(ecs), None, "ok"),
        ("profile without keys goes on to the container", std,
         dict(ecs, AWS_PROFILE="empty"), None, "ok"),
        ("instance metadata", nocreds, dict(imds), None, "ok"),
        ("AWS_PROFILE names a missing profile", std,
         dict(envkeys, AWS_PROFILE="nosuch", **imds), None, "error"),
        ("explicit profile missing", std, dict(imds), "nosuch", "error"),
        ("nothing anywhere", none, {}, None, "error"),
    ]
    for name, fl, extra, profile, want in CASES:
        env = srv.env(**dict(fl, AWS_DEFAULT_REGION="us-east-1",
                             **extra))
        b = botocore_creds(env, profile)
        m = mailshim_creds(srv, env, profile)
        if want == "ok":
            check("error" not in b, "%s: botocore resolves (%s)" % (name, b))
            check(m == b, "%s: mailshim %s, botocore %s" % (name, m, b))
        else:
            check("error" in b, "%s: botocore fails (%s)" % (name, b))
            check("error" in m, "%s: mailshim fails too (%s)" % (name, m))
        print("ok -" if m == b or ("error" in m and "error" in b)
              else "FAIL -", name, json.dumps(m), flush=True)

    # details the table cannot show
    st = srv.state()
    role = [x for x in st["sts"] if x["role"] == ROLE + "mailer"]
    check(role and all(x["external_id"] == "ext-42" and
                       x["duration"] == 900 and
                       x["session"] == "mailshim-test" and
                       x["caller"] == "AKIDBASE" for x in role),
          "AssumeRole parameters: %s" % role)
    web = [x for x in st["sts"] if x["role"] == ROLE + "irsa"]
    check(len(web) == 2 and all(x["session"] == "irsa-pod" for x in web),
          "AssumeRoleWithWebIdentity: %s" % web)
    check(st["sig_failures"] == 0, "no signature failures (%d)" %
          st["sig_failures"])

    def mailshim_err(extra, profile):
        env = srv.env(**dict(std, **extra))
        return mailshim_creds(srv, env, profile).get("msg", "")

    msg = mailshim_err(dict(envkeys, AWS_PROFILE="nosuch"), None)
    check("profile" in msg and "nosuch" in msg,
          "missing profile named: %s" % msg)
    msg = mailshim_err({"AWS_PROFILE": "sso"}, None)
    check("not support" in msg and "credential_process" in msg,
          "SSO says what to use: %s" % msg)
    # botocore would prompt for the MFA code; a daemon cannot: an error
    msg = mailshim_err({"AWS_PROFILE": "mfa"}, None)
    check("mfa_serial" in msg and "profile mfa" in msg,
          "mfa_serial is a clear error: %s" % msg)
    msg = mailshim_err({}, "denied")
    check("AccessDenied" in msg, "STS error code shown: %s" % msg)
finally:
    srv.stop()
finish()
