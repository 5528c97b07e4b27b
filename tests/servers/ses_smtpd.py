#!/usr/bin/python3
"""ses_smtpd.py - a test SMTP server that behaves like Amazon SES's SMTP
interface (domain.md sections 1-4), for mailshim's ses tests.

  * STARTTLS required before AUTH and MAIL (or implicit TLS with --tls).
  * AUTH PLAIN / LOGIN: user = --key-id, password = the SES v4 SMTP
    password the server derives itself from --secret and --region
    (hmac/hashlib, independent of mailshim's C code); anything else gets
    "535 Authentication Credentials Invalid".
  * 250 Ok <SES-like message id> after DATA.
  * what SES itself checks (tests/servers/ses_rules.py, texts from SES's
    documentation): at most 50 RCPT per transaction (the 51st gets "554
    Transaction failed: Recipient count exceeds 50."), then after DATA:
    40 MB ("552 Message is too long."), addresses without a domain in
    From/Sender/Reply-To/To/Cc and Resent- ("554 Transaction failed:
    Missing final '@domain'"), the tag and configuration set charset,
    and identities verified in the server's region: MAIL FROM, From,
    Sender, Return-Path (and recipients with --sandbox). By default
    example.com and its subdomains are verified in every region;
    --verified REGION=ID,ID (repeatable; ID,ID alone means this server's
    region) or the control file's "verified" (a list, or an object
    region -> list, "*" for the others; null: everything verified)
    change that.
  * scriptable SES failures, from options or a JSON control file that is
    re-read before every transaction (keys as the long options, with
    underscores): throttle_every N, max_rate R (recipients/s measured by
    the server over the last second), quota N (recipients, then "Daily
    message quota exceeded"), verified (see above) + sandbox (bool),
    auth_fail, paused, max_size (bytes -> 552), max_per_session N (421 at
    the next MAIL, or after its DATA with limit_at "data"), fail_nth [transaction numbers] + fail_reply, idle S.
  * every event is one JSON line in --log: connect, auth, tx (time,
    connection number, sender, recipients, code, reply, id, and "file":
    LOG.msg-N.eml holding the exact bytes received in DATA).

Usage: ses_smtpd.py --port-file F --log L --cert C --key K --key-id ID
       --secret S --region R [options]; prints nothing, runs until killed.
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import ssl
import sys
import time
import uuid

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

import ses_rules
from ses_rules import MAX_RCPT


def ses_password(secret, region):
    """The SES SMTP password, as in AWS's own sample (domain.md 2.2)."""
    key = ("AWS4" + secret).encode()
    for msg in ("11111111", region, "ses", "aws4_request", "SendRawEmail"):
        key = hmac.new(key, msg.encode(), hashlib.sha256).digest()
    return base64.b64encode(b"\x04" + key).decode()


def ses_message_id():
    ms = int(time.time() * 1000)
    return "%016x-%s-000000" % (0x0100000000000000 | ms, uuid.uuid4())


class State:
    def __init__(self, opts):
        self.opts = opts
        self.log = open(opts.log, "a", buffering=1)
        self.conns = 0
        self.transactions = 0
        self.accepted_rcpts = 0
        self.recent = []  # (time, nrcpt) accepted in the last second
        self.ctl = {}
        self.ctl_mtime = None

    def option(self, name):
        self.reload()
        if name in self.ctl:
            return self.ctl[name]
        return getattr(self.opts, name)

    def reload(self):
        if not self.opts.control:
            return
        try:
            st = os.stat(self.opts.control)
        except FileNotFoundError:
            self.ctl, self.ctl_mtime = {}, None
            return
        if st.st_mtime_ns != self.ctl_mtime:
            with open(self.opts.control) as f:
                text = f.read()
            self.ctl = json.loads(text) if text.strip() else {}
            self.ctl_mtime = st.st_mtime_ns

    def event(self, **kw):
        kw["time"] = time.time()
        self.log.write(json.dumps(kw) + "\n")


class Handler:
    def __init__(self, state):
        self.st = state

    async def handle_MAIL(self, server, session, envelope, address, opts):
        st = self.st
        limit = st.option("max_per_session")
        if (limit and session.ses_count >= limit and
                st.option("limit_at") == "mail"):
            # SES closes the connection after this reply.
            asyncio.get_event_loop().call_soon(server.transport.close)
            st.event(event="421", conn=session.ses_conn)
            return ("421 Connection closed by server. Maximum message "
                    "count per session reached.")
        envelope.mail_from = address
        envelope.mail_options.extend(opts)
        return "250 Ok"

    async def handle_RCPT(self, server, session, envelope, address, opts):
        if len(envelope.rcpt_tos) >= MAX_RCPT:
            return "554 Transaction failed: " + ses_rules.TOO_MANY
        envelope.rcpt_tos.append(address)
        return "250 Ok"

    def verdict(self, server, session, envelope):
        st = self.st
        n = len(envelope.rcpt_tos)
        st.transactions += 1
        limit = st.option("max_per_session")
        if (limit and session.ses_count >= limit and
                st.option("limit_at") == "data"):
            asyncio.get_event_loop().call_soon(server.transport.close)
            return ("421 Connection closed by server. Maximum message "
                    "count per session reached.")
        region = st.opts.region.upper()
        if st.option("paused"):
            return ("554 Message rejected: Sending paused for this "
                    "account. For more information, please check the "
                    "inbox of the email address associated with your "
                    "AWS account.")
        if st.transactions in (st.option("fail_nth") or []):
            return st.option("fail_reply")
        data = envelope.original_content or b""
        max_size = st.option("max_size")
        if max_size and len(data) > max_size:
            return "552 " + ses_rules.TOO_LONG
        msg = ses_rules.parse(data)
        err = ses_rules.content_error(msg)
        if err:
            return "554 Transaction failed: " + err
        verified = ses_rules.verified_for(st.option("verified"),
                                          st.opts.region)
        bad = ses_rules.unverified(verified, [envelope.mail_from], msg,
                                   envelope.rcpt_tos, st.option("sandbox"))
        if bad:
            return ("554 Message rejected: " +
                    ses_rules.not_verified_text(region, bad))
        quota = st.option("quota")
        if quota is not None and st.accepted_rcpts + n > quota:
            return "454 Throttling failure: Daily message quota exceeded."
        every = st.option("throttle_every")
        if every and st.transactions % every == 0:
            return "454 Throttling failure: Maximum sending rate exceeded."
        rate = st.option("max_rate")
        now = time.monotonic()
        st.recent = [(t, k) for (t, k) in st.recent if now - t < 1.0]
        if rate and sum(k for _, k in st.recent) + n > rate:
            return "454 Throttling failure: Maximum sending rate exceeded."
        st.recent.append((now, n))
        st.accepted_rcpts += n
        return None

    async def handle_DATA(self, server, session, envelope):
        st = self.st
        reply = self.verdict(server, session, envelope)
        msgid = None
        if reply is None:
            msgid = ses_message_id()
            reply = "250 Ok " + msgid
            session.ses_count += 1
        data = envelope.original_content or b""
        fname = "%s.msg-%d.eml" % (st.opts.log, st.transactions)
        with open(fname, "wb") as f:
            f.write(data)       # the exact bytes received, for the test
        st.event(event="tx", conn=session.ses_conn, file=fname,
                 tx=st.transactions, sender=envelope.mail_from,
                 nrcpt=len(envelope.rcpt_tos), rcpts=envelope.rcpt_tos,
                 code=int(reply[:3]), reply=reply, id=msgid,
                 size=len(envelope.original_content or b""),
                 headers=(envelope.original_content or b"")
                 .split(b"\r\n\r\n", 1)[0].decode("latin-1"))
        return reply


class SesSMTP(SMTP):
    def connection_made(self, transport):
        super().connection_made(transport)
        st = self.event_handler.st
        if getattr(self, "_ses_counted", False):
            return      # STARTTLS upgrade: same connection
        self._ses_counted = True
        st.conns += 1
        self.session.ses_conn = st.conns
        self.session.ses_count = 0
        st.event(event="connect", conn=st.conns)

    def _set_rset_state(self):
        super()._set_rset_state()

    async def smtp_STARTTLS(self, arg):
        conn, count = self.session.ses_conn, self.session.ses_count
        await super().smtp_STARTTLS(arg)
        self.session.ses_conn, self.session.ses_count = conn, count


def make_authenticator(state):
    def auth(server, session, envelope, mechanism, data):
        ok = False
        user = ""
        if isinstance(data, LoginPassword) and not state.option("auth_fail"):
            user = data.login.decode("utf-8", "replace")
            pw = data.password.decode("utf-8", "replace")
            # key_id / secret may be replaced through --control
            # (a rotated IAM key)
            want = ses_password(state.option("secret"), state.opts.region)
            ok = (user == state.option("key_id") and
                  hmac.compare_digest(pw, want))
        state.event(event="auth", conn=getattr(session, "ses_conn", 0),
                    mechanism=mechanism, user=user, ok=ok)
        if not ok:
            return AuthResult(success=False, handled=False,
                              message="535 Authentication Credentials "
                              "Invalid")
        return AuthResult(success=True)
    return auth


async def serve(opts):
    state = State(opts)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(opts.cert, opts.key)
    handler = Handler(state)

    def factory():
        s = SesSMTP(handler,
                    hostname="email-smtp.amazonaws.com",
                    ident="SimpleEmailService-d-TEST",
                    data_size_limit=None,
                    tls_context=None if opts.tls else ctx,
                    require_starttls=not opts.tls,
                    auth_required=True,
                    auth_require_tls=True,
                    authenticator=make_authenticator(state),
                    timeout=opts.idle or 300)
        s.ses_state = state
        return s

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, host="127.0.0.1", port=0,
                                      ssl=ctx if opts.tls else None)
    port = server.sockets[0].getsockname()[1]
    tmp = opts.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, opts.port_file)
    async with server:
        await server.serve_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--key-id", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--region", required=True)
    ap.add_argument("--tls", action="store_true",
                    help="implicit TLS (ports 465/2465) instead of STARTTLS")
    ap.add_argument("--control")
    ap.add_argument("--throttle-every", type=int, default=0)
    ap.add_argument("--max-rate", type=float, default=0)
    ap.add_argument("--quota", type=int, default=None)
    ap.add_argument("--verified", action="append", default=[],
                    help="REGION=ID,ID or ID,ID (this region)")
    ap.add_argument("--all-verified", action="store_true",
                    help="no identity check at all")
    ap.add_argument("--sandbox", action="store_true")
    ap.add_argument("--auth-fail", action="store_true")
    ap.add_argument("--paused", action="store_true")
    ap.add_argument("--max-size", type=int, default=ses_rules.MAX_SIZE)
    ap.add_argument("--max-per-session", type=int, default=0)
    ap.add_argument("--limit-at", choices=("mail", "data"), default="mail",
                    help="where --max-per-session answers 421")
    ap.add_argument("--fail-nth", type=lambda s: [int(x) for x in
                                                  s.split(",")], default=[])
    ap.add_argument("--fail-reply", default="451 Temporary service failure")
    ap.add_argument("--idle", type=float, default=0)
    opts = ap.parse_args()
    verified = {"*": ["example.com"]}
    for v in opts.verified:
        region, eq, ids = v.rpartition("=")
        verified[region if eq else opts.region] = ids.split(",")
    opts.verified = None if opts.all_verified else verified
    try:
        asyncio.run(serve(opts))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
