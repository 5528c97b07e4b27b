#!/usr/bin/env python3
"""hard_faultd.py - tiny misbehaving SMTP peers that smtpd.py does not play.

    hard_faultd.py MODE PORTFILE [LIFETIME]

MODE close    accept, then close at once (no banner)
     middata  speak SMTP normally up to 354, read a few body bytes, then
              stop reading and answering (the client stalls mid-DATA)
     dropdata speak SMTP normally up to 354, read 64 KiB of the body,
              then close the connection (the client is still sending)
     dropdot  speak SMTP normally, read the whole body up to the final
              dot, then close the connection without a reply
Listens on 127.0.0.1 on a port the kernel picks and writes PORT=N to
PORTFILE when ready. Exits after LIFETIME seconds (default 60).
"""
import socket
import sys
import threading
import time


def middata(conn, mode="middata"):
    f = conn.makefile("rb")
    conn.sendall(b"220 faultd ESMTP\r\n")
    while True:
        line = f.readline(4096)
        if not line:
            return
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            conn.sendall(b"250 faultd\r\n")
        elif verb == b"DATA":
            conn.sendall(b"354 go ahead\r\n")
            if mode == "dropdata":
                f.read(65536)
                conn.close()  # unread data: the kernel sends RST
                return
            if mode == "dropdot":
                while f.readline(1 << 20) not in (b".\r\n", b""):
                    pass
                conn.close()
                return
            f.read(1000)
            time.sleep(3600)  # never read or answer again
        elif verb == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"250 ok\r\n")


def main():
    mode, portfile = sys.argv[1], sys.argv[2]
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write("PORT=%d\n" % srv.getsockname()[1])
    import os
    os.rename(portfile + ".tmp", portfile)
    srv.settimeout(0.5)
    end = time.time() + lifetime
    while time.time() < end:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        if mode == "close":
            conn.close()
        else:
            threading.Thread(target=middata, args=(conn, mode),
                             daemon=True).start()


if __name__ == "__main__":
    main()
