#!/usr/bin/python3
"""oauth_server.py - an OAuth 2.0 token endpoint and an SMTP server that
accepts AUTH XOAUTH2 only with a token the endpoint issued, for mailshim's
tests. Listens on 127.0.0.1 only and writes its ports to --port-file:

    OAUTH_URL=https://127.0.0.1:PORT/token   (http:// without --cert)
    SMTPD_PORT=PORT                           SMTP, STARTTLS with --cert
    SMTPD_PID=PID

The endpoint checks each grant as the providers document it and answers
like them (RFC 6749 5.1 / 5.2):

  --grant client  client-credentials grant (RFC 6749 4.4, Microsoft
                  identity platform v2.0): a POST of
                  application/x-www-form-urlencoded with exactly
                  grant_type=client_credentials, client_id, client_secret
                  and scope. Wrong id or secret: 401 invalid_client; a
                  scope other than --scope: 400 invalid_scope.
  --grant jwt     JWT bearer grant (RFC 7523, Google's server-to-server
                  flow): exactly grant_type=urn:ietf:params:oauth:grant-
                  type:jwt-bearer and assertion. The JWT's header must be
                  {"alg":"RS256","typ":"JWT"}; its claims iss (--iss),
                  scope (--scope), aud (this endpoint's URL), iat (now,
                  within 5 minutes), exp (after iat, at most 3600 s later)
                  and sub (--sub); its RS256 signature is verified with
                  --pubkey (python3-cryptography). Failures: 400
                  invalid_grant / invalid_scope.

A token lives --expires-in seconds (reported as expires_in, enforced by
the SMTP side). --revoke-after-use makes every token good for one AUTH
only (a token the server stops honouring before the client expects);
--refuse-all refuses every token (revoked consent). SIGUSR1 revokes every
token issued so far (an administrator revoking the app's sessions; logged
"REVOKED N" once done); tokens issued later are good. --static-token T is
also accepted. A refused token gets Google's error challenge (334 and
base64 JSON {"status":"401","schemes":"bearer","scope":...}) and, after
the client's empty reply, 535 5.7.8.

DIR/events.log: "TOKEN N grant=G" per token issued, "GRANT-REFUSED
reason", "AUTH-OK N user=U", "AUTH-REFUSED N why" (never a token or a
secret). Messages are saved like smtpd.py's (DIR/msg-N.json,
DIR/session.log).
"""

import argparse
import asyncio
import base64
import importlib.util
import json
import os
import secrets
import signal
import ssl
import sys
import time
import urllib.parse

from aiosmtpd.smtp import AuthResult

# tests/servers/smtpd.py by path (the standard library had an smtpd too)
_spec = importlib.util.spec_from_file_location(
    "testsmtpd", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "smtpd.py"))
testsmtpd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(testsmtpd)

from cryptography.hazmat.primitives import hashes, serialization  # noqa
from cryptography.hazmat.primitives.asymmetric import padding  # noqa
from cryptography.exceptions import InvalidSignature  # noqa: E402

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class State:
    def __init__(self, args):
        self.args = args
        self.tokens = {}  # token -> [number, expires_at, uses, revoked]
        self.count = 0
        self.url = None
        self.events = os.path.join(args.dir, "events.log")

    def event(self, text):
        with open(self.events, "a", encoding="utf-8") as f:
            f.write(text + "\n")

    def issue(self, grant):
        self.count += 1
        tok = f"ya29.test{self.count}-{secrets.token_hex(16)}"
        self.tokens[tok] = [self.count, time.time() + self.args.expires_in,
                            0, False]
        self.event(f"TOKEN {self.count} grant={grant}")
        return tok

    def check_token(self, tok):
        """(ok, number, why)"""
        a = self.args
        if a.static_token and tok == a.static_token:
            return True, "static", ""
        t = self.tokens.get(tok)
        if t is None:
            return False, "?", "unknown token"
        if a.refuse_all:
            return False, t[0], "consent revoked"
        if t[3]:
            return False, t[0], "revoked"
        if time.time() > t[1]:
            return False, t[0], "expired"
        if a.revoke_after_use and t[2] >= 1:
            return False, t[0], "revoked after use"
        t[2] += 1
        return True, t[0], ""

    def revoke_all(self):
        for t in self.tokens.values():
            t[3] = True
        self.event(f"REVOKED {len(self.tokens)}")


def b64url_decode(s):
    if not s or any(c in s for c in "+/="):
        raise ValueError("not base64url without padding")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def check_jwt(state, assertion):
    """Returns None when the assertion is good, else (code, error, desc)."""
    a = state.args
    parts = assertion.split(".")
    if len(parts) != 3:
        return 400, "invalid_grant", "not a JWT (want 3 parts)"
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
    except (ValueError, json.JSONDecodeError) as e:
        return 400, "invalid_grant", f"bad JWT encoding: {e}"
    if header != {"alg": "RS256", "typ": "JWT"}:
        return 400, "invalid_grant", f"bad JWT header {header}"
    with open(a.pubkey, "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    try:
        pub.verify(sig, (parts[0] + "." + parts[1]).encode(),
                   padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return 400, "invalid_grant", "Invalid JWT Signature."
    now = time.time()
    want = {"iss", "scope", "aud", "iat", "exp"} | ({"sub"} if a.sub else
                                                     set())
    if set(claims) != want:
        return 400, "invalid_grant", f"claims {sorted(claims)}"
    if claims["iss"] != a.iss:
        return 400, "invalid_grant", "invalid iss"
    if claims["aud"] != state.url:
        return 400, "invalid_grant", "Invalid JWT: aud"
    iat, exp = claims["iat"], claims["exp"]
    if not (isinstance(iat, int) and isinstance(exp, int)):
        return 400, "invalid_grant", "iat/exp are not integers"
    if abs(iat - now) > 300 or exp <= iat or exp - iat > 3600:
        return 400, "invalid_grant", \
            "Invalid JWT: Token must be a short-lived token (60 minutes)"
    if a.sub and claims.get("sub") != a.sub:
        return 401, "unauthorized_client", "sub not delegated"
    if claims["scope"] != a.scope:
        return 400, "invalid_scope", "Invalid OAuth scope"
    return None


def check_grant(state, headers, body):
    """Returns (status, json reply)."""
    a = state.args
    ctype = headers.get("content-type", "").split(";")[0].strip()
    if ctype != "application/x-www-form-urlencoded":
        return 400, {"error": "invalid_request",
                     "error_description": f"content-type {ctype}"}
    try:
        form = urllib.parse.parse_qs(body.decode("ascii"),
                                     keep_blank_values=True,
                                     strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return 400, {"error": "invalid_request",
                     "error_description": "body is not a form"}
    if any(len(v) != 1 for v in form.values()):
        return 400, {"error": "invalid_request",
                     "error_description": "repeated parameter"}
    form = {k: v[0] for k, v in form.items()}
    if a.grant == "client":
        if set(form) != {"grant_type", "client_id", "client_secret",
                         "scope"}:
            return 400, {"error": "invalid_request",
                         "error_description": f"fields {sorted(form)}"}
        if form["grant_type"] != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if (form["client_id"] != a.client_id or
                form["client_secret"] != a.client_secret):
            return 401, {"error": "invalid_client",
                         "error_description": "AADSTS7000215: Invalid "
                         "client secret provided."}
        if form["scope"] != a.scope:
            return 400, {"error": "invalid_scope",
                         "error_description": "AADSTS70011: The provided "
                         "value for the input parameter 'scope' is not "
                         "valid."}
        return 200, None
    if set(form) != {"grant_type", "assertion"}:
        return 400, {"error": "invalid_request",
                     "error_description": f"fields {sorted(form)}"}
    if form["grant_type"] != JWT_GRANT:
        return 400, {"error": "unsupported_grant_type"}
    bad = check_jwt(state, form["assertion"])
    if bad:
        code, err, desc = bad
        return code, {"error": err, "error_description": desc}
    return 200, None


async def http_client(state, reader, writer):
    try:
        line = await asyncio.wait_for(reader.readline(), 30)
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers = {}
        while True:
            h = await asyncio.wait_for(reader.readline(), 30)
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        body = await asyncio.wait_for(
            reader.readexactly(int(headers.get("content-length", "0"))), 30)
        if method != "POST" or path != "/token":
            code, reply = 404, {"error": "not_found"}
        else:
            code, reply = check_grant(state, headers, body)
        if code == 200:
            reply = {"access_token": state.issue(state.args.grant),
                     "token_type": "Bearer",
                     "expires_in": state.args.expires_in}
        else:
            state.event(f"GRANT-REFUSED {code} {reply.get('error')} "
                        f"{reply.get('error_description', '')}")
        data = json.dumps(reply).encode()
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized",
                  404: "Not Found"}.get(code, "Error")
        writer.write(f"HTTP/1.1 {code} {reason}\r\n"
                     "Content-Type: application/json; charset=utf-8\r\n"
                     "Cache-Control: no-store\r\n"
                     f"Content-Length: {len(data)}\r\n"
                     "Connection: close\r\n\r\n".encode() + data)
        await writer.drain()
    except (asyncio.TimeoutError, ValueError, ConnectionError,
            asyncio.IncompleteReadError, ssl.SSLError):
        pass
    finally:
        writer.close()


class OAuthSMTP(testsmtpd.TestSMTP):
    state = None

    async def auth_XOAUTH2(self, _, args):
        st = self.state
        if len(args) == 2:
            blob = args[1]
        else:
            await self.push("334 ")
            blob = (await self._reader.readline()).decode().strip()
        try:
            raw = base64.b64decode(blob, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            await self.push("501 5.5.2 Can't decode base64")
            return AuthResult(success=False, handled=True)
        # user=USER^Aauth=Bearer TOKEN^A^A
        if not raw.endswith("\x01\x01") or raw.count("\x01") != 3:
            st.event("AUTH-REFUSED ? malformed")
            return AuthResult(success=False, handled=False)
        user, auth = raw[:-2].split("\x01")
        if not user.startswith("user=") or \
                not auth.startswith("auth=Bearer "):
            st.event("AUTH-REFUSED ? malformed")
            return AuthResult(success=False, handled=False)
        user, tok = user[5:], auth[12:]
        ok, n, why = st.check_token(tok)
        if ok and st.args.user and user != st.args.user:
            ok, why = False, f"token is not for {user}"
        if ok:
            st.event(f"AUTH-OK {n} user={user}")
            return AuthResult(success=True, auth_data=user)
        st.event(f"AUTH-REFUSED {n} {why}")
        err = json.dumps({"status": "401", "schemes": "bearer",
                          "scope": "https://mail.google.com/"})
        await self.push("334 " + base64.b64encode(err.encode()).decode())
        await self._reader.readline()  # the client's empty answer
        return AuthResult(success=False, handled=False)


async def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--grant", choices=["client", "jwt"], default="client")
    p.add_argument("--client-id", default="")
    p.add_argument("--client-secret", default="")
    p.add_argument("--scope", default="")
    p.add_argument("--pubkey", help="service account's public key (PEM)")
    p.add_argument("--iss", default="")
    p.add_argument("--sub", default="")
    p.add_argument("--user", default="", help="XOAUTH2 user= must be this")
    p.add_argument("--expires-in", type=int, default=3600)
    p.add_argument("--revoke-after-use", action="store_true")
    p.add_argument("--refuse-all", action="store_true")
    p.add_argument("--static-token", default="")
    p.add_argument("--lifetime", type=float, default=120.0)
    args = p.parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    state = State(args)
    OAuthSMTP.state = state
    loop = asyncio.get_running_loop()
    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    http = await asyncio.start_server(
        lambda r, w: http_client(state, r, w), "127.0.0.1", 0, ssl=ctx)
    hport = http.sockets[0].getsockname()[1]
    state.url = f"{'https' if ctx else 'http'}://127.0.0.1:{hport}/token"
    sargs = argparse.Namespace(
        client_ca=None, reply_421_after=0, stall_map={}, mail_reply=None,
        rcpt_map={}, data_reply=None, drop_mid_data=False,
        close_after=0, close_after_data=False, dot_reply=None,
        lifetime=args.lifetime)
    rec = testsmtpd.Recorder(args.dir)
    handler = testsmtpd.Handler(sargs, rec)
    kw = dict(hostname="oauth-smtpd.test", ident="mailshim-test-oauth",
              auth_required=True, auth_require_tls=ctx is not None,
              auth_exclude_mechanism=["PLAIN", "LOGIN"],
              timeout=args.lifetime)
    if ctx is not None:
        kw["tls_context"] = ctx
    smtp = await loop.create_server(
        lambda: OAuthSMTP(handler, sargs, rec, "plain", loop=loop, **kw),
        "127.0.0.1", 0)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, state.revoke_all)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"OAUTH_URL={state.url}\n")
        f.write(f"SMTPD_PORT={smtp.sockets[0].getsockname()[1]}\n")
        f.write(f"SMTPD_PID={os.getpid()}\n")
    os.rename(tmp, args.port_file)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.lifetime)
    except asyncio.TimeoutError:
        print("oauth_server.py: lifetime over, exiting", file=sys.stderr)
    http.close()
    smtp.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
