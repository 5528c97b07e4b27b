#!/usr/bin/python3
"""smtpd.py - a scriptable SMTP server for mailshim's tests (aiosmtpd).

Listens on 127.0.0.1 only, on ports chosen by the kernel, and writes them
to --port-file as shell assignments once it is ready:

    SMTPD_PORT=41234        plain listener (STARTTLS when --cert is given)
    SMTPD_TLS_PORT=41235    implicit TLS listener (only with --cert)

Every accepted message becomes DIR/msg-N.json with mail_from, rcpt_tos,
conn (connection number) and data_b64 (the exact DATA bytes after
dot-unstuffing, CRLF included). DIR/session.log gets one line per command
as "CONN COMMAND ARGS" (AUTH shows the mechanism only, never the data),
plus "CONN CONNECT plain|tls" when a connection is accepted.

--client-ca CA.pem makes both listeners require a client certificate
signed by that CA (TLS handshake fails otherwise); MAIL then logs
"CONN (client cert CN)".

Faults come from options or from --script FILE (JSON with the same names,
dashes as underscores). --raw MODE replaces SMTP with a raw socket that
misbehaves: no-banner, banner-421, slow (one byte per second), endless
(a reply line that never ends), garbage (non-SMTP lines forever).

Exits on SIGTERM or after --lifetime seconds, whichever comes first.
"""

import argparse
import asyncio
import base64
import itertools
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult

CONN_IDS = itertools.count(1)
MSG_IDS = itertools.count(1)
MSG_IDS_SEEN = itertools.count(0)  # stalls asked for, for --stall-from


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True, help="output directory")
    p.add_argument("--port-file", required=True)
    p.add_argument("--cert", help="server certificate (PEM)")
    p.add_argument("--key", help="server key (PEM)")
    p.add_argument("--client-ca",
                   help="require a TLS client certificate signed by this "
                   "CA (PEM); its CN is logged as (client cert CN)")
    p.add_argument("--no-starttls", action="store_true",
                   help="do not offer STARTTLS on the plain port")
    p.add_argument("--require-starttls", action="store_true",
                   help="refuse MAIL before STARTTLS (530)")
    p.add_argument("--auth-user", help="accept AUTH PLAIN/LOGIN for this user")
    p.add_argument("--auth-pass", help="... with this password")
    p.add_argument("--auth-pass-file",
                   help="... or the password in this file, read at every "
                   "AUTH (a test rotates it by rewriting the file)")
    p.add_argument("--auth-exclude", action="append", default=[],
                   metavar="MECH", help="do not offer this AUTH mechanism")
    p.add_argument("--auth-required", action="store_true",
                   help="refuse MAIL before AUTH (530)")
    p.add_argument("--auth-plaintext", action="store_true",
                   help="allow AUTH without TLS")
    p.add_argument("--mail-reply", help='e.g. "451 4.3.0 try later"')
    p.add_argument("--rcpt-reply", action="append", default=[],
                   metavar="ADDR=REPLY", help="reply for one RCPT address")
    p.add_argument("--data-reply", help="reply to the DATA command")
    p.add_argument("--dot-reply", help="reply after the message")
    p.add_argument("--stall", action="append", default=[],
                   metavar="STAGE=SECONDS",
                   help="sleep before answering ehlo|mail|rcpt|data|dot")
    p.add_argument("--stall-from", type=int, default=1, metavar="N",
                   help="stall (--stall) only from the Nth time a stalled "
                   "stage is reached (of any connection; with one stage: "
                   "the Nth message); the ones before go straight")
    p.add_argument("--drop-mid-data", action="store_true",
                   help="close the connection after a few body bytes")
    p.add_argument("--close-after-data", action="store_true",
                   help="read the whole message, then close without reply")
    p.add_argument("--close-after", type=int, default=0, metavar="N",
                   help="close the connection after N messages on it")
    p.add_argument("--reply-421-after", type=int, default=0, metavar="N",
                   help="answer 421 to the command after N messages")
    p.add_argument("--raw", choices=["no-banner", "banner-421", "slow",
                                     "endless", "garbage"])
    p.add_argument("--line-limit", type=int, default=10000,
                   help="longest line accepted (RFC: 1000)")
    p.add_argument("--write-after", metavar="N:PATH:TEXT",
                   help="after storing the Nth message (of any connection) "
                   "and before answering it, write TEXT and a newline to "
                   "PATH (by rename): what another process does then, say "
                   "a flusher setting a relay hold")
    p.add_argument("--script", help="JSON file with any of the options")
    p.add_argument("--lifetime", type=float, default=120.0)
    args = p.parse_args(argv)
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            for k, v in json.load(f).items():
                setattr(args, k.replace("-", "_"), v)
    args.rcpt_map = {}
    for item in args.rcpt_reply:
        addr, _, reply = item.partition("=")
        args.rcpt_map[addr.lower()] = reply
    args.stall_map = {}
    for item in args.stall:
        stage, _, secs = item.partition("=")
        args.stall_map[stage] = float(secs)
    return args


class Recorder:
    def __init__(self, directory):
        self.dir = directory
        self.log_path = os.path.join(directory, "session.log")

    def log(self, conn, text):
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(f"{conn} {text}\n")

    def save(self, conn, envelope):
        n = next(MSG_IDS)
        rec = {
            "conn": conn,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data_b64": base64.b64encode(envelope.original_content).decode(),
        }
        path = os.path.join(self.dir, f"msg-{n}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(rec, f)
        os.rename(path + ".tmp", path)
        return n


class Handler:
    def __init__(self, args, rec):
        self.args = args
        self.rec = rec

    async def handle_DATA(self, server, session, envelope):
        a = self.args
        await server.stall("dot")
        if a.close_after_data:
            server.rec.log(server.conn, "(closing before the reply)")
            server.transport.abort()
            return "250 never seen"
        if a.dot_reply:
            return a.dot_reply
        n = self.rec.save(server.conn, envelope)
        # (getattr: servers built on this one make their own args)
        if getattr(a, "write_after", None):
            count, path, text = a.write_after.split(":", 2)
            if n == int(count):
                with open(path + ".tmp", "w", encoding="utf-8") as f:
                    f.write(text + "\n")
                os.rename(path + ".tmp", path)
        server.messages += 1
        return f"250 2.0.0 Ok: queued as TEST{server.conn}x{server.messages}"


class TestSMTP(SMTP):
    """aiosmtpd with a command log and scripted faults."""

    def __init__(self, handler, args, rec, kind, **kw):
        self.conn = next(CONN_IDS)
        self.args = args
        self.rec = rec
        self.messages = 0
        rec.log(self.conn, f"CONNECT {kind}")
        super().__init__(handler, **kw)

    async def stall(self, stage):
        secs = self.args.stall_map.get(stage)
        if secs and next(MSG_IDS_SEEN) + 1 < getattr(self.args,
                                                     "stall_from", 1):
            secs = 0
        if secs:
            # Logged, so that a test can act while the server is provably
            # inside the stall (e.g. after the final dot, before the reply).
            self.rec.log(self.conn, f"STALL {stage} {secs}")
            await asyncio.sleep(secs)
            self.rec.log(self.conn, f"STALL-END {stage}")

    async def maybe_421(self):
        n = self.args.reply_421_after
        if n and self.messages >= n:
            self.rec.log(self.conn, "(421 and close)")
            await self.push("421 4.7.0 Too many messages on this connection")
            self.transport.close()
            return True
        return False

    def logcmd(self, text):
        self.rec.log(self.conn, text)

    async def smtp_EHLO(self, hostname):
        self.logcmd(f"EHLO {hostname}")
        await self.stall("ehlo")
        return await super().smtp_EHLO(hostname)

    async def smtp_HELO(self, hostname):
        self.logcmd(f"HELO {hostname}")
        return await super().smtp_HELO(hostname)

    async def smtp_STARTTLS(self, arg):
        self.logcmd("STARTTLS")
        return await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg):
        mech = (arg or "").split(" ")[0]
        self.logcmd(f"AUTH {mech}")  # never the credentials
        return await super().smtp_AUTH(arg)

    async def smtp_NOOP(self, arg):
        self.logcmd("NOOP")
        return await super().smtp_NOOP(arg)

    async def smtp_RSET(self, arg):
        self.logcmd("RSET")
        return await super().smtp_RSET(arg)

    async def smtp_QUIT(self, arg):
        self.logcmd("QUIT")
        return await super().smtp_QUIT(arg)

    async def smtp_MAIL(self, arg):
        self.logcmd(f"MAIL {arg}")
        if self.args.client_ca:
            self.logcmd(f"(client cert {client_cn(self.transport)})")
        if await self.maybe_421():
            return
        await self.stall("mail")
        if self.args.mail_reply:
            await self.push(self.args.mail_reply)
            return
        return await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg):
        self.logcmd(f"RCPT {arg}")
        await self.stall("rcpt")
        addr = (arg or "")
        if addr.upper().startswith("TO:"):
            addr = addr[3:]
        addr = addr.strip().split(" ")[0].strip("<>").lower()
        reply = self.args.rcpt_map.get(addr)
        if reply:
            await self.push(reply)
            return
        return await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg):
        self.logcmd("DATA")
        await self.stall("data")
        if self.args.data_reply:
            await self.push(self.args.data_reply)
            return
        if self.args.drop_mid_data and self.envelope.rcpt_tos:
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.read(10)
            self.logcmd("(dropped mid-DATA)")
            self.transport.abort()
            return
        await super().smtp_DATA(arg)
        if self.args.close_after and self.messages >= self.args.close_after:
            self.logcmd("(closing after message)")
            self.transport.close()


def tls_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=args.client_ca)
    return ctx


def client_cn(transport):
    """The verified client certificate's CN, or None."""
    cert = transport.get_extra_info("peercert") if transport else None
    for rdn in (cert or {}).get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return v
    return None


def authenticator(args):
    def check(server, session, envelope, mechanism, auth_data):
        want = args.auth_pass
        if args.auth_pass_file:
            with open(args.auth_pass_file) as f:
                want = f.read().strip()
        ok = (auth_data.login.decode(errors="replace") == args.auth_user and
              auth_data.password.decode(errors="replace") == want)
        server.logcmd(f"(auth {'ok' if ok else 'failed'} {mechanism})")
        return AuthResult(success=ok, handled=False)
    return check


async def raw_client(args, reader, writer):
    conn = next(CONN_IDS)
    rec = Recorder(args.dir)
    rec.log(conn, f"CONNECT raw {args.raw}")
    try:
        if args.raw == "banner-421":
            writer.write(b"421 4.3.2 Service not available, closing\r\n")
            await writer.drain()
        elif args.raw == "no-banner":
            await asyncio.sleep(args.lifetime)
        elif args.raw == "slow":
            for b in b"220 slow.example ESMTP hello there\r\n" * 100:
                writer.write(bytes([b]))
                await writer.drain()
                await asyncio.sleep(1)
        elif args.raw == "endless":
            writer.write(b"220 ")
            for _ in range(int(args.lifetime * 10)):
                writer.write(b"x" * 4096)
                await writer.drain()
                await asyncio.sleep(0.1)
        elif args.raw == "garbage":
            for _ in range(int(args.lifetime * 10)):
                writer.write(b"this is not SMTP\r\n")
                await writer.drain()
                await asyncio.sleep(0.1)
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main(argv):
    args = parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    rec = Recorder(args.dir)
    SMTP.line_length_limit = args.line_limit
    loop = asyncio.get_running_loop()
    ctx = tls_context(args) if args.cert else None
    common = dict(hostname="smtpd.test", ident="mailshim-test-smtpd",
                  data_size_limit=50 * 1024 * 1024,
                  timeout=args.lifetime)
    if args.auth_user:
        common.update(authenticator=authenticator(args),
                      auth_required=args.auth_required,
                      auth_require_tls=not args.auth_plaintext,
                      auth_exclude_mechanism=args.auth_exclude)
    handler = Handler(args, rec)
    servers = []
    ports = {}
    if args.raw:
        srv = await asyncio.start_server(
            lambda r, w: raw_client(args, r, w), "127.0.0.1", 0)
        servers.append(srv)
        ports["SMTPD_PORT"] = srv.sockets[0].getsockname()[1]
    else:
        plain_kw = dict(common)
        if ctx is not None and not args.no_starttls:
            plain_kw.update(tls_context=ctx,
                            require_starttls=args.require_starttls)
        srv = await loop.create_server(
            lambda: TestSMTP(handler, args, rec, "plain", loop=loop,
                             **plain_kw), "127.0.0.1", 0)
        servers.append(srv)
        ports["SMTPD_PORT"] = srv.sockets[0].getsockname()[1]
        if ctx is not None:
            srv = await loop.create_server(
                lambda: TestSMTP(handler, args, rec, "tls", loop=loop,
                                 **common), "127.0.0.1", 0, ssl=ctx)
            servers.append(srv)
            ports["SMTPD_TLS_PORT"] = srv.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for k, v in ports.items():
            f.write(f"{k}={v}\n")
        f.write(f"SMTPD_PID={os.getpid()}\n")
    os.rename(tmp, args.port_file)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.lifetime)
    except asyncio.TimeoutError:
        print("smtpd.py: lifetime over, exiting", file=sys.stderr)
    for srv in servers:
        srv.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
