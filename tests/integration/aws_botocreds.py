#!/usr/bin/python3
"""aws_botocreds.py - the reference side of aws_parity.py: which
credentials does botocore resolve in this environment?

Usage: aws_botocreds.py [PROFILE]
  PROFILE given: botocore.session.Session(profile=PROFILE), as mailshim's
  "profile:NAME"; none: Session(), as mailshim's "chain".
Prints one JSON line: {"key", "token", "expires", "digest"} (digest: the
first 16 hex digits of SHA-256(secret "\\n" token), as tests/unit/aws_drive
prints it) or {"error": CLASS, "msg": TEXT}. Never prints a secret.

The SDKs read AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL for every
client they make (botocore does since 1.31). Debian 12's botocore (1.29)
predates that, so when it lacks the feature this helper passes the same
endpoint to the STS clients botocore creates for AssumeRole and
AssumeRoleWithWebIdentity, as a newer botocore would by itself.
"""
import hashlib
import json
import os
import sys

import botocore
import botocore.session


def native_endpoint_urls():
    v = tuple(int(x) for x in botocore.__version__.split(".")[:2])
    return v >= (1, 31)


def add_endpoint_env(session):
    real = session.create_client

    def create_client(service, *a, **kw):
        env = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
        url = os.environ.get(env) or os.environ.get("AWS_ENDPOINT_URL")
        if url and kw.get("endpoint_url") is None:
            kw["endpoint_url"] = url
        return real(service, *a, **kw)

    session.create_client = create_client


def main():
    profile = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None
    try:
        s = botocore.session.Session(profile=profile)
        if not native_endpoint_urls():
            add_endpoint_env(s)
        c = s.get_credentials()
        if c is None:
            print(json.dumps({"error": "NoCredentials", "msg": "none"}))
            return
        f = c.get_frozen_credentials()
        exp = getattr(c, "_expiry_time", None)
        d = hashlib.sha256((f.secret_key + "\n" + (f.token or ""))
                           .encode()).hexdigest()[:16]
        print(json.dumps({"key": f.access_key, "token": bool(f.token),
                          "expires": int(exp.timestamp()) if exp else 0,
                          "digest": d}))
    except Exception as e:  # noqa: BLE001 - any failure is the answer
        print(json.dumps({"error": type(e).__name__, "msg": str(e)}))


if __name__ == "__main__":
    main()
