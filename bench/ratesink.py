#!/usr/bin/python3
"""ratesink.py - an SMTP sink, or an SES v2 SendEmail API sink, that
throttles like SES: more than --rate recipients accepted in the last
second are refused.

    ratesink.py --port-file F --stats F [--rate 200] [--lifetime 600] [--api]

SMTP (default): a RCPT past the rate gets
"454 4.7.0 Throttling failure: Maximum sending rate exceeded" (the text
of SES's SMTP interface, SES Developer Guide "Errors related to the
sending quotas").

--api: plain HTTP/1.1 (keep-alive), POST /v2/email/outbound-emails as
SES v2 SendEmail. The call's recipients (Destination To + Cc + Bcc; SES
counts each recipient against the rate) are admitted together or not at
all; refused, the call gets HTTP 429 TooManyRequestsException
(botocore's sesv2 model: SendEmail's error shape, httpStatusCode 429)
with "Maximum sending rate exceeded." as its message, the header form
of the error (x-amzn-ErrorType). Accepted: 200 {"MessageId": ...}.
Signatures are not checked: this is a rate oracle for bench/run, not a
test server (tests/servers/aws_server.py checks them with botocore).

Listens on 127.0.0.1 (kernel-chosen port, written to --port-file as
PORT=N once ready). Writes "accepted N throttled M" to --stats after
every message and on exit. Exits on SIGTERM or after --lifetime seconds.
Plain asyncio (no aiosmtpd) so that the sink itself is never the limit.
"""

import argparse
import asyncio
import collections
import json
import os
import signal
import time


class Sink:
    def __init__(self, rate, stats):
        self.rate = rate
        self.stats = stats
        self.window = collections.deque()
        self.accepted = 0
        self.throttled = 0

    def write_stats(self):
        tmp = self.stats + ".tmp"
        with open(tmp, "w") as f:
            f.write("accepted %d throttled %d\n"
                    % (self.accepted, self.throttled))
        os.replace(tmp, self.stats)

    def admit(self, n=1):
        """Admits n recipients at once if the last second leaves room."""
        now = time.monotonic()
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) + n > self.rate:
            self.throttled += n
            return False
        self.window.extend([now] * n)
        return True

    async def api_session(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                if not line.strip():
                    continue
                method, path = (line.split(b" ") + [b"", b""])[:2]
                length = 0
                while True:
                    h = await reader.readline()
                    if not h or h in (b"\r\n", b"\n"):
                        break
                    k, _, v = h.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v.strip() or 0)
                body = await reader.readexactly(length) if length else b""
                hdrs = {}
                if method == b"POST" and path.startswith(
                        b"/v2/email/outbound-emails"):
                    try:
                        dest = json.loads(body).get("Destination", {})
                        n = sum(len(dest.get(k, [])) for k in
                                ("ToAddresses", "CcAddresses",
                                 "BccAddresses"))
                    except (ValueError, AttributeError):
                        n = 0
                    if n == 0:
                        status, obj = 400, {"message": "no recipients"}
                        hdrs["x-amzn-ErrorType"] = "BadRequestException:"
                    elif self.admit(n):
                        self.accepted += n
                        self.write_stats()
                        status, obj = 200, {"MessageId": "bench-%d"
                                            % self.accepted}
                    else:
                        status = 429
                        obj = {"message": "Maximum sending rate exceeded."}
                        hdrs["x-amzn-ErrorType"] = (
                            "TooManyRequestsException:http://internal."
                            "amazon.com/coral/com.amazonaws.ses/")
                else:
                    status, obj = 404, {"message": "not found"}
                    hdrs["x-amzn-ErrorType"] = "NotFoundException:"
                out = json.dumps(obj).encode()
                head = ("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                        "Content-Length: %d\r\nx-amzn-RequestId: r%d\r\n"
                        % (status, len(out), self.accepted))
                for k, v in hdrs.items():
                    head += "%s: %s\r\n" % (k, v)
                writer.write(head.encode() + b"\r\n" + out)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    async def session(self, reader, writer):
        rcpts = 0
        try:
            writer.write(b"220 ratesink ESMTP\r\n")
            while True:
                line = await reader.readline()
                if not line:
                    break
                cmd = line[:4].upper()
                if cmd in (b"EHLO",):
                    writer.write(b"250-ratesink\r\n250-PIPELINING\r\n"
                                 b"250-8BITMIME\r\n250 SIZE 0\r\n")
                elif cmd == b"HELO":
                    writer.write(b"250 ratesink\r\n")
                elif cmd == b"MAIL":
                    rcpts = 0
                    writer.write(b"250 2.1.0 Ok\r\n")
                elif cmd == b"RCPT":
                    if self.admit():
                        rcpts += 1
                        writer.write(b"250 2.1.5 Ok\r\n")
                    else:
                        writer.write(b"454 4.7.0 Throttling failure: "
                                     b"Maximum sending rate exceeded\r\n")
                elif cmd == b"DATA":
                    if rcpts == 0:
                        writer.write(b"554 5.5.1 No valid recipients\r\n")
                        continue
                    writer.write(b"354 go ahead\r\n")
                    await writer.drain()
                    while True:
                        data = await reader.readline()
                        if not data or data in (b".\r\n", b".\n"):
                            break
                    self.accepted += 1
                    self.write_stats()
                    writer.write(b"250 2.0.0 Ok: queued\r\n")
                elif cmd == b"RSET":
                    rcpts = 0
                    writer.write(b"250 2.0.0 Ok\r\n")
                elif cmd == b"NOOP":
                    writer.write(b"250 2.0.0 Ok\r\n")
                elif cmd == b"QUIT":
                    writer.write(b"221 2.0.0 Bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"502 5.5.2 Command not recognized\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def run(args):
    sink = Sink(args.rate, args.stats)
    sink.write_stats()
    server = await asyncio.start_server(
        sink.api_session if args.api else sink.session, "127.0.0.1", 0,
        limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("PORT=%d\n" % port)
    os.replace(tmp, args.port_file)
    stop = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    try:
        await asyncio.wait_for(stop, args.lifetime)
    except asyncio.TimeoutError:
        pass
    server.close()
    sink.write_stats()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port-file", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--lifetime", type=float, default=600.0)
    p.add_argument("--api", action="store_true",
                   help="SES v2 SendEmail over HTTP instead of SMTP")
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
