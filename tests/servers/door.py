#!/usr/bin/python3
"""door.py - a tiny stand-in for systemd's Accept=yes socket unit
(contrib/systemd/mailshim-smtp.socket): listens on the given addresses and
runs COMMAND once per connection with the connection as its stdin and
stdout, as systemd's mailshim-smtp@.service does with StandardInput=socket.

Usage: door.py --port-file FILE [--listen ADDR]... [--stderr FILE]
               [--lifetime S] -- COMMAND [ARGS...]

Every --listen address (default 127.0.0.1) gets the same kernel-chosen
port, written to FILE as DOOR_PORT=N once all listen. The command's
stderr is appended to --stderr. Exits on SIGTERM or after --lifetime.
"""

import argparse
import os
import select
import signal
import socket
import subprocess
import sys
import time


def listeners(addrs):
    port = 0
    socks = []
    for a in addrs:
        fam = socket.AF_INET6 if ":" in a else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((a, port))
        port = s.getsockname()[1]
        s.listen(16)
        socks.append(s)
    return port, socks


def main(argv):
    if "--" not in argv:
        sys.exit("usage: door.py [options] -- COMMAND...")
    cut = argv.index("--")
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--listen", action="append")
    p.add_argument("--stderr", default=os.devnull)
    p.add_argument("--lifetime", type=float, default=120.0)
    args = p.parse_args(argv[:cut])
    cmd = argv[cut + 1:]
    port, socks = listeners(args.listen or ["127.0.0.1"])
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(args.port_file + ".tmp", "w", encoding="ascii") as f:
        f.write(f"DOOR_PORT={port}\nDOOR_PID={os.getpid()}\n")
    os.rename(args.port_file + ".tmp", args.port_file)
    end = time.monotonic() + args.lifetime
    children = []
    err = open(args.stderr, "ab")
    while not stop and time.monotonic() < end:
        try:
            ready, _, _ = select.select(socks, [], [], 0.2)
        except InterruptedError:
            continue
        for s in ready:
            conn, _ = s.accept()
            children.append(subprocess.Popen(
                cmd, stdin=conn.fileno(), stdout=conn.fileno(), stderr=err,
                close_fds=True))
            conn.close()
        children = [c for c in children if c.poll() is None]
    for c in children:
        c.terminate()
    for c in children:
        try:
            c.wait(5)
        except subprocess.TimeoutExpired:
            c.kill()


if __name__ == "__main__":
    main(sys.argv[1:])
