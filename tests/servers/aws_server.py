#!/usr/bin/python3
"""aws_server.py - a small AWS look-alike for mailshim's tests.

One HTTPS listener (SES v2 SendEmail / GetAccount / GetEmailIdentity,
Secrets Manager GetSecretValue, SSM GetParameter, STS AssumeRole and
AssumeRoleWithWebIdentity) that checks EVERY signed request's SigV4
signature with botocore's own signer, and SendEmail the way SES does
(tests/servers/ses_rules.py: 50 recipients, 40 MB, header addresses with
a domain, tag and configuration set charset, identities verified in the
signed region: FromEmailAddress, FeedbackForwardingEmailAddress, From,
Sender, Return-Path; example.com and its subdomains unless --verified
REGION=ID,ID / --all-verified / /_admin/verified say otherwise), and one
plain-HTTP listener with
the EC2 instance metadata (IMDSv2) and ECS container credential
endpoints, plus /_admin/ for the test: inject errors or answers that
are not SES's (a proxy's page), read state,
change (rotate) a secret or the accepted long-term keys.

Usage: aws_server.py --dir DIR --cert PEM --key PEM [options]
Prints one JSON line {"https": PORT, "http": PORT} when ready; runs until
stdin closes. Both listen on 127.0.0.1 only, on free ports.
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import secrets
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import ses_rules

LOCK = threading.Lock()
STATE = {
    "messages": [],      # SendEmail calls that succeeded
    "requests": [],      # every signed request: service, key, ok
    "sig_failures": 0,
    "imds_tokens_issued": 0,
    "imds_401": 0,
    "creds_issued": 0,
    "ecs_auth_failures": 0,
    "expired_refusals": 0,
    "inject": [],        # answers for the next SendEmail / GetAccount
    "verified": {"*": ["example.com"]},  # ses_rules.verified_for()
    "sandbox": False,
    "sts": [],           # STS calls: action, caller, parameters
}
START = time.time()
STATIC = {}              # key id -> secret
ISSUED = {}              # key id -> (secret, token, expires)
IMDS_TOKENS = {}         # token -> expires
IDENTITIES = {}          # SES identity (lower case) -> its state
ARGS = None

ERRORS = {
    # name: (http status, error name, message, put name in header?)
    "throttle": (429, "TooManyRequestsException",
                 "Maximum sending rate exceeded.", True),
    "quota": (400, "LimitExceededException",
              "Daily message quota exceeded.", True),
    "notverified": (400, "MessageRejected",
                    "Email address is not verified. The following "
                    "identities failed the check in region US-EAST-1: "
                    "a@example.com", True),
    "rejpaused": (400, "MessageRejected",
                  "Sending paused for this account.", True),
    "paused": (400, "SendingPausedException",
               "Sending is paused for this account.", False),
    "suspended": (400, "AccountSuspendedException",
                  "Sending is suspended.", True),
    "mailfrom": (400, "MailFromDomainNotVerifiedException",
                 "MAIL FROM domain not verified.", True),
    "500": (500, "InternalFailure", "We encountered an internal error.",
            True),
    "expired": (403, "ExpiredTokenException",
                "The security token included in the request is expired",
                True),
    "denied": (403, "AccessDeniedException", "User is not authorized",
               True),
}

# Answers no SES endpoint gives (SES v2 always answers a JSON object):
# what a proxy, a captive portal or a wrong endpoint sends back. Injected
# like ERRORS: name -> (http status, body, sent as text/html).
NOT_SES = {
    "html200": (200, "<html><body>Please log in</body></html>\n"),
    "empty200": (200, ""),
    "array200": (200, "[]"),
    "html502": (502, "<html><body>Bad Gateway</body></html>\n"),
}


def now():
    return time.time()


def iso(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def issue_creds(kind="any", lifetime=None):
    """New temporary credentials. With --fixed-creds they are derived
    from kind (the same request gets the same keys, and the same
    Expiration, so two clients can be compared)."""
    t = now()
    if ARGS.fixed_creds:
        d = hashlib.sha256(kind.encode()).hexdigest()
        key = "ASIA" + d[:16].upper()
        secret = "S/" + d[16:46] + "+x"
        token = "TOK" + d[46:] + "/+="
        t = START
    else:
        key = "ASIA" + secrets.token_hex(8).upper()
        secret = secrets.token_urlsafe(30)
        token = "TOK" + secrets.token_urlsafe(40)
    life = lifetime if lifetime is not None else ARGS.temp_lifetime
    with LOCK:
        ISSUED[key] = (secret, token, t + life)
        STATE["creds_issued"] += 1
    if lifetime is not None:
        return {"AccessKeyId": key, "SecretAccessKey": secret,
                "Token": token, "Expiration": iso(t + lifetime)}
    return {"Code": "Success", "LastUpdated": iso(t), "Type": "AWS-HMAC",
            "AccessKeyId": key, "SecretAccessKey": secret, "Token": token,
            "Expiration": iso(t + ARGS.advertise_lifetime)}


def expected_auth(method, url, headers, body, key, secret, token, service,
                  region, xdate):
    """The Authorization header botocore's SigV4Auth computes for this
    request at time xdate: add_auth() without its clock (the same steps;
    works with botocore 1.29 .. 1.4x)."""
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    signer = botocore.auth.SigV4Auth(Credentials(key, secret, token),
                                     service, region)
    req.context["timestamp"] = xdate
    signer._modify_request_before_signing(req)
    canonical = signer.canonical_request(req)
    sts = signer.string_to_sign(req, canonical)
    signer._inject_signature_to_request(req, signer.signature(sts, req))
    return req.headers["Authorization"]


def parse_auth(value):
    if not value or not value.startswith("AWS4-HMAC-SHA256 "):
        return None
    parts = {}
    for item in value[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = item.strip().partition("=")
        parts[k] = v
    try:
        key, date, region, service, term = parts["Credential"].split("/")
        signed = parts["SignedHeaders"].split(";")
    except (KeyError, ValueError):
        return None
    return {"key": key, "date": date, "region": region, "service": service,
            "signed": signed, "sig": parts.get("Signature", "")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        with open(os.path.join(ARGS.dir, "server.log"), "a") as f:
            f.write("%s %s\n" % (self.address_string(), fmt % a))

    def reply(self, status, obj=None, headers=None, text=None,
              text_type="text/plain"):
        body = (text if text is not None else
                json.dumps(obj if obj is not None else {})).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json"
                         if text is None else text_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", "req-" + secrets.token_hex(4))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def aws_error(self, status, name, message, in_header=True):
        if in_header:
            self.reply(status, {"message": message}, {
                "x-amzn-ErrorType": name + ":http://internal.amazon.com/"
                "coral/com.amazonaws.ses/"})
        else:
            self.reply(status, {"__type": "com.amazonaws.ses#" + name,
                                "Message": message})

    def injected(self):
        """Sends the next injected answer (ERRORS or NOT_SES), if any;
        True when it did."""
        with LOCK:
            inj = STATE["inject"].pop(0) if STATE["inject"] else None
        if inj is None:
            return False
        if inj in NOT_SES:
            status, text = NOT_SES[inj]
            self.reply(status, text=text, text_type="text/html")
        else:
            self.aws_error(*ERRORS[inj])
        return True

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # ---- signature check with botocore ----
    def verify(self, body, want_service):
        a = parse_auth(self.headers.get("Authorization"))
        rec = {"path": self.path, "service": None, "key": None,
               "token": bool(self.headers.get("X-Amz-Security-Token")),
               "ok": False, "region": None,
               "target": self.headers.get("X-Amz-Target")}
        with LOCK:
            STATE["requests"].append(rec)
        if a is None:
            return self.fail_sig(403, "IncompleteSignatureException",
                                 "missing or malformed Authorization")
        rec.update(service=a["service"], key=a["key"], region=a["region"])
        self.sig_region = a["region"]
        if a["service"] != want_service:
            return self.fail_sig(403, "InvalidSignatureException",
                                 "wrong signing service " + a["service"])
        token = None
        with LOCK:
            if a["key"] in STATIC:
                secret, token = STATIC[a["key"]]
            elif a["key"] in ISSUED:
                secret, token, exp = ISSUED[a["key"]]
                if now() >= exp:
                    STATE["expired_refusals"] += 1
                    self.aws_error(403, "ExpiredTokenException",
                                   "The security token included in the "
                                   "request is expired")
                    return False
            else:
                secret = None
        if secret is None:
            return self.fail_sig(403, "UnrecognizedClientException",
                                 "The security token included in the "
                                 "request is invalid.")
        xdate = self.headers.get("X-Amz-Date", "")
        try:
            when = datetime.datetime.strptime(xdate, "%Y%m%dT%H%M%SZ")
        except ValueError:
            return self.fail_sig(403, "IncompleteSignatureException",
                                 "bad X-Amz-Date")
        skew = abs((when.replace(tzinfo=datetime.timezone.utc) -
                    datetime.datetime.now(datetime.timezone.utc))
                   .total_seconds())
        if skew > 300:
            return self.fail_sig(403, "InvalidSignatureException",
                                 "Signature expired")
        headers = {}
        for h in a["signed"]:
            if h in ("x-amz-date", "x-amz-security-token"):
                continue        # botocore adds these itself
            v = self.headers.get(h)
            if v is None:
                return self.fail_sig(403, "IncompleteSignatureException",
                                     "signed header missing: " + h)
            headers[h] = v
        url = "https://" + self.headers.get("Host", "") + self.path
        want = expected_auth(self.command, url, headers, body, a["key"],
                             secret, token, a["service"], a["region"], xdate)
        if want != self.headers.get("Authorization"):
            with open(os.path.join(ARGS.dir, "server.log"), "a") as f:
                f.write("signature mismatch: got %s want %s\n" % (
                    self.headers.get("Authorization"), want))
            return self.fail_sig(403, "SignatureDoesNotMatch",
                                 "The request signature we calculated does "
                                 "not match the signature you provided.")
        if token is not None and \
                self.headers.get("X-Amz-Security-Token") != token:
            return self.fail_sig(403, "UnrecognizedClientException",
                                 "token mismatch")
        rec["ok"] = True
        return True

    def fail_sig(self, status, name, message):
        with LOCK:
            STATE["sig_failures"] += 1
        self.aws_error(status, name, message)
        return False

    # ---- HTTPS: AWS APIs ----
    def api(self):
        body = self.read_body()
        target = self.headers.get("X-Amz-Target")
        path = urlsplit(self.path).path
        if path == "/v2/email/outbound-emails" and self.command == "POST":
            if self.verify(body, "ses"):
                self.send_email(body)
        elif path == "/v2/email/account" and self.command == "GET":
            if self.verify(body, "ses") and not self.injected():
                self.reply(200, {
                    "SendQuota": {"Max24HourSend": 50000.0,
                                  "MaxSendRate": 14.0,
                                  "SentLast24Hours": 12.0},
                    "ProductionAccessEnabled": False,
                    "SendingEnabled": True,
                    "EnforcementStatus": "HEALTHY",
                    "DedicatedIpAutoWarmupEnabled": False})
        elif path == "/v2/email/identities" and self.command == "GET":
            if self.verify(body, "ses"):
                self.list_identities()
        elif path.startswith("/v2/email/identities/") and \
                self.command == "GET":
            if self.verify(body, "ses"):
                self.get_identity(unquote(path[len(
                    "/v2/email/identities/"):]))
        elif path == "/" and self.command == "POST" and target is None:
            self.sts(body)
        elif target == "secretsmanager.GetSecretValue":
            if self.verify(body, "secretsmanager"):
                self.get_secret(body)
        elif target == "AmazonSSM.GetParameter":
            if self.verify(body, "ssm"):
                self.get_parameter(body)
        else:
            self.aws_error(404, "UnknownOperationException", "no such API")

    def send_email(self, body):
        if self.injected():
            return
        try:
            req = json.loads(body)
            raw = base64.b64decode(req["Content"]["Raw"]["Data"],
                                   validate=True)
            to = req["Destination"]["ToAddresses"]
        except (ValueError, KeyError, TypeError) as e:
            return self.aws_error(400, "BadRequestException", str(e))
        err = self.ses_checks(req, raw, to)
        if err:
            return self.aws_error(400, *err)
        with LOCK:
            n = len(STATE["messages"])
            fname = os.path.join(ARGS.dir, "msg-%d.eml" % n)
            with open(fname, "wb") as f:
                f.write(raw)
            STATE["messages"].append({
                "to": to, "file": fname,
                "sha256": hashlib.sha256(raw).hexdigest(),
                "from": req.get("FromEmailAddress"),
                "config_set": req.get("ConfigurationSetName"),
                "feedback": req.get("FeedbackForwardingEmailAddress"),
                "tags": req.get("EmailTags"),
                "keys": sorted(req.keys())})
        self.reply(200, {"MessageId": "0100-mailshim-test-%06d" % n})

    def ses_checks(self, req, raw, to):
        """(error name, message) for what SES refuses, or None. Names as
        in the SES v2 service model (BadRequestException for invalid
        input, MessageRejected for unverified identities)."""
        if not to:
            return ("BadRequestException",
                    "There are no recipients specified.")
        if len(to) > ses_rules.MAX_RCPT:
            return ("BadRequestException", ses_rules.TOO_MANY)
        if len(raw) > ses_rules.MAX_SIZE:
            return ("BadRequestException", ses_rules.TOO_LONG)
        msg = ses_rules.parse(raw)
        for t in req.get("EmailTags") or []:
            err = ses_rules.tag_error(str(t.get("Name")),
                                      str(t.get("Value")))
            if err:
                return ("BadRequestException", err)
        err = ses_rules.content_error(msg, [req.get("ConfigurationSetName")])
        if err:
            return ("BadRequestException", err)
        region = getattr(self, "sig_region", ARGS.region)
        with LOCK:
            verified = ses_rules.verified_for(STATE["verified"], region)
            sandbox = STATE["sandbox"]
        bad = ses_rules.unverified(
            verified, [req.get("FromEmailAddress"),
                       req.get("FeedbackForwardingEmailAddress")], msg, to,
            sandbox)
        if bad:
            return ("MessageRejected",
                    ses_rules.not_verified_text(region, bad))
        return None

    def get_identity(self, ident):
        """GetEmailIdentity (SES v2 API reference): identities come from
        /_admin/identities as {"name": {"verified": bool, "status": ...,
        "dkim": ..., "mail_from": ..., "mail_from_status": ...}}."""
        with LOCK:
            deny = STATE.get("identities_deny")
            info = IDENTITIES.get(ident.lower())
        if deny:
            return self.aws_error(403, "AccessDeniedException",
                                  "User is not authorized to perform: "
                                  "ses:GetEmailIdentity")
        if info is None:
            return self.aws_error(404, "NotFoundException",
                                  "Email identity <%s> does not exist."
                                  % ident)
        ans = {"IdentityType": "EMAIL_ADDRESS" if "@" in ident
               else "DOMAIN",
               "FeedbackForwardingStatus": True,
               "VerifiedForSendingStatus": info.get("verified", False),
               "VerificationStatus": info.get("status", "SUCCESS"),
               "DkimAttributes": {"SigningEnabled": True,
                                  "Status": info.get("dkim", "SUCCESS"),
                                  "SigningAttributesOrigin": "AWS_SES"},
               "Policies": {}, "Tags": []}
        if info.get("mail_from"):
            ans["MailFromAttributes"] = {
                "MailFromDomain": info["mail_from"],
                "MailFromDomainStatus": info.get("mail_from_status",
                                                 "SUCCESS"),
                "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"}
        self.reply(200, ans)

    def list_identities(self):
        """ListEmailIdentities, one page (SES v2 API reference)."""
        with LOCK:
            deny = STATE.get("identities_deny")
            items = list(IDENTITIES.items())
        if deny:
            return self.aws_error(403, "AccessDeniedException",
                                  "User is not authorized to perform: "
                                  "ses:ListEmailIdentities")
        self.reply(200, {"EmailIdentities": [
            {"IdentityType": "EMAIL_ADDRESS" if "@" in k else "DOMAIN",
             "IdentityName": k,
             "SendingEnabled": v.get("verified", False),
             "VerificationStatus": v.get("status", "SUCCESS")}
            for k, v in items]})

    def get_secret(self, body):
        req = json.loads(body)
        v = ARGS.secrets_map.get("secretsmanager", {}).get(req.get("SecretId"))
        if v is None:
            return self.reply(400, {"__type": "ResourceNotFoundException",
                                    "Message": "Secrets Manager can't find "
                                    "the specified secret."})
        self.reply(200, {"ARN": "arn:aws:secretsmanager:us-east-1:1:secret:x",
                         "Name": req["SecretId"], "SecretString": v,
                         "VersionStages": [req.get("VersionStage")]})

    def get_parameter(self, body):
        req = json.loads(body)
        v = ARGS.secrets_map.get("ssm", {}).get(req.get("Name"))
        if v is None:
            return self.reply(400, {"__type": "ParameterNotFound",
                                    "message": ""})
        if req.get("WithDecryption") is not True:
            v = "ENCRYPTED-BLOB"
        self.reply(200, {"Parameter": {"Name": req["Name"],
                                       "Type": "SecureString", "Value": v,
                                       "Version": 3}})

    # ---- STS (Query protocol, XML answers) ----
    def sts_error(self, status, code, message):
        body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/'
                '2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code>'
                '<Message>%s</Message></Error><RequestId>r-1</RequestId>'
                '</ErrorResponse>' % (code, xml_escape(message))).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def sts(self, body):
        form = {k: v[0] for k, v in parse_qs(body.decode(),
                                             keep_blank_values=True).items()}
        action = form.get("Action")
        if action == "AssumeRole":
            if not self.verify(body, "sts"):
                return
            caller = parse_auth(self.headers.get("Authorization"))["key"]
        elif action == "AssumeRoleWithWebIdentity":
            if self.headers.get("Authorization"):
                return self.sts_error(400, "InvalidAction",
                                      "web identity calls are unsigned")
            caller = "web:" + form.get("WebIdentityToken", "")
            if ARGS.web_token is not None and \
                    form.get("WebIdentityToken") != ARGS.web_token:
                return self.sts_error(400, "InvalidIdentityToken",
                                      "token not accepted")
        else:
            return self.sts_error(400, "InvalidAction", "unknown action")
        arn = form.get("RoleArn", "")
        if form.get("Version") != "2011-06-15" or not arn or \
                not form.get("RoleSessionName"):
            return self.sts_error(400, "ValidationError",
                                  "RoleArn, RoleSessionName, Version")
        if arn in ARGS.deny_roles:
            return self.sts_error(403, "AccessDenied",
                                  "not authorized to perform "
                                  "sts:AssumeRole on " + arn)
        dur = int(form.get("DurationSeconds") or 3600)
        rec = {"action": action, "caller": caller, "role": arn,
               "session": form.get("RoleSessionName"),
               "external_id": form.get("ExternalId"), "duration": dur}
        with LOCK:
            STATE["sts"].append(rec)
        c = issue_creds("|".join(str(rec[k]) for k in (
            "action", "caller", "role", "external_id", "duration")), dur)
        res = action + "Result"
        xml = ('<%sResponse xmlns="https://sts.amazonaws.com/doc/'
               '2011-06-15/"><%s><Credentials>'
               '<AccessKeyId>%s</AccessKeyId>'
               '<SecretAccessKey>%s</SecretAccessKey>'
               '<SessionToken>%s</SessionToken>'
               '<Expiration>%s</Expiration></Credentials>'
               '<AssumedRoleUser><Arn>%s/%s</Arn>'
               '<AssumedRoleId>AROA1:%s</AssumedRoleId></AssumedRoleUser>'
               '</%s><ResponseMetadata><RequestId>r-2</RequestId>'
               '</ResponseMetadata></%sResponse>' % (
                   action, res, c["AccessKeyId"],
                   xml_escape(c["SecretAccessKey"]), xml_escape(c["Token"]),
                   c["Expiration"], xml_escape(arn),
                   xml_escape(rec["session"]), xml_escape(rec["session"]),
                   res, action)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(xml)))
        self.end_headers()
        self.wfile.write(xml)

    # ---- plain HTTP: IMDS, ECS, admin ----
    def meta(self):
        body = self.read_body()
        path = urlsplit(self.path).path
        if path.startswith("/_admin/"):
            return self.admin(path, body)
        if path == "/ecs/creds" and self.command == "GET":
            if ARGS.ecs_token and \
                    self.headers.get("Authorization") != ARGS.ecs_token:
                with LOCK:
                    STATE["ecs_auth_failures"] += 1
                return self.reply(401, text="bad authorization\n")
            c = issue_creds("ecs")
            del c["Code"], c["LastUpdated"], c["Type"]
            return self.reply(200, c)
        if path == "/latest/api/token" and self.command == "PUT":
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.reply(400, text="bad ttl\n")
            tok = "IMDSTOK-" + secrets.token_hex(12)
            with LOCK:
                IMDS_TOKENS[tok] = now() + int(ttl)
                STATE["imds_tokens_issued"] += 1
            return self.reply(200, text=tok)
        if not path.startswith("/latest/meta-data/"):
            return self.reply(404, text="not found\n")
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with LOCK:
            good = tok in IMDS_TOKENS and IMDS_TOKENS[tok] > now()
            if not good:
                STATE["imds_401"] += 1
        if not good:
            return self.reply(401, text="")
        base = "/latest/meta-data/iam/security-credentials/"
        if path == base:
            return self.reply(200, text="mailshim-role")
        if path == base + "mailshim-role":
            c = issue_creds("imds")
            if ARGS.imds_forget_tokens:
                with LOCK:
                    IMDS_TOKENS.clear()
            return self.reply(200, c)
        if path == "/latest/meta-data/placement/region":
            return self.reply(200, text=ARGS.region)
        return self.reply(404, text="not found\n")

    def admin(self, path, body):
        if path == "/_admin/inject":
            with LOCK:
                STATE["inject"].extend(json.loads(body)["errors"])
            return self.reply(200, {})
        if path == "/_admin/verified":
            req = json.loads(body)
            with LOCK:
                STATE["verified"] = req.get("verified")
                STATE["sandbox"] = bool(req.get("sandbox"))
            return self.reply(200, {})
        if path == "/_admin/secret":
            # {"service": "secretsmanager"|"ssm", "id": ..., "value": ...}:
            # a rotation, seen by the next GetSecretValue / GetParameter
            req = json.loads(body)
            with LOCK:
                ARGS.secrets_map.setdefault(req["service"], {})[
                    req["id"]] = req["value"]
            return self.reply(200, {})
        if path == "/_admin/identities":
            req = json.loads(body)
            with LOCK:
                IDENTITIES.clear()
                IDENTITIES.update({k.lower(): v for k, v in
                                   req.get("identities", {}).items()})
                STATE["identities_deny"] = bool(req.get("deny"))
            return self.reply(200, {})
        if path == "/_admin/static":
            # {"add": {KEYID: SECRET}, "remove": [KEYID]}: an IAM key
            # created / deactivated (key rotation)
            req = json.loads(body)
            with LOCK:
                for k, v in req.get("add", {}).items():
                    STATIC[k] = (v, None)
                for k in req.get("remove", []):
                    STATIC.pop(k, None)
            return self.reply(200, {})
        if path == "/_admin/state":
            with LOCK:
                return self.reply(200, STATE)
        return self.reply(404, {})

    def dispatch(self):
        if self.server.is_https:
            self.api()
        else:
            self.meta()

    do_GET = do_POST = do_PUT = dispatch


def serve(server):
    server.serve_forever(poll_interval=0.2)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--static", action="append", default=[],
                    help="KEYID|SECRET[|TOKEN] accepted as long-term keys")
    ap.add_argument("--temp-lifetime", type=float, default=3600)
    ap.add_argument("--advertise-lifetime", type=float, default=None)
    ap.add_argument("--imds-forget-tokens", action="store_true")
    ap.add_argument("--ecs-token", default=None)
    ap.add_argument("--secrets", default=None, help="JSON file")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--verified", action="append", default=[],
                    help="REGION=ID,ID: identities verified there")
    ap.add_argument("--all-verified", action="store_true")
    ap.add_argument("--sandbox", action="store_true")
    ap.add_argument("--fixed-creds", action="store_true",
                    help="issue keys derived from the request")
    ap.add_argument("--web-token", default=None,
                    help="the only WebIdentityToken STS accepts")
    ap.add_argument("--deny-role", dest="deny_roles", action="append",
                    default=[], help="a RoleArn STS refuses")
    ARGS = ap.parse_args()
    for v in ARGS.verified:
        region, _, ids = v.partition("=")
        STATE["verified"][region] = ids.split(",")
    if ARGS.all_verified:
        STATE["verified"] = None
    STATE["sandbox"] = ARGS.sandbox
    if ARGS.advertise_lifetime is None:
        ARGS.advertise_lifetime = ARGS.temp_lifetime
    for s in ARGS.static:
        f = s.split("|")
        STATIC[f[0]] = (f[1], f[2] if len(f) > 2 else None)
    ARGS.secrets_map = {}
    if ARGS.secrets:
        with open(ARGS.secrets) as f:
            ARGS.secrets_map = json.load(f)

    https = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    https.is_https = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    https.socket = ctx.wrap_socket(https.socket, server_side=True)
    plain = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    plain.is_https = False
    https.daemon_threads = plain.daemon_threads = True
    for s in (https, plain):
        threading.Thread(target=serve, args=(s,), daemon=True).start()
    print(json.dumps({"https": https.server_address[1],
                      "http": plain.server_address[1]}), flush=True)
    sys.stdin.read()        # until the test closes our stdin


if __name__ == "__main__":
    main()
